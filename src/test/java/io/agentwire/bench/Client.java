package io.agentwire.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * One benchmark connection over the JDK's non-blocking WebSocket client. The first message is taken
 * as {@code ready} (G1; the bare endpoint and the Node peer send one too); every later one goes to
 * {@link #onMessage}. Sends are queued, because the JDK client allows one outstanding send per
 * socket, so that an open-loop sender never blocks.
 */
final class Client implements WebSocket.Listener {

  /** How the connection ended, or why it never became ready. */
  record Ended(int code, String reason) {}

  private final StringBuilder partial = new StringBuilder();
  private final ArrayDeque<String> pending = new ArrayDeque<>();
  private boolean sending;
  private volatile WebSocket socket;
  private volatile boolean isReady;

  /** Nanos at the open callback and at the first message. */
  volatile long connectStartedAt;

  volatile long openedAt;
  volatile long readyAt;
  final CompletableFuture<Client> ready = new CompletableFuture<>();
  final CompletableFuture<Ended> ended = new CompletableFuture<>();

  /** Called on the client's thread for every message after {@code ready}, with its arrival. */
  volatile MessageHandler onMessage = (c, text, at) -> {};

  /** Runs right after the socket opened, before any message (the storm pings here). */
  volatile Consumer<Client> onOpen = c -> {};

  @FunctionalInterface
  interface MessageHandler {
    void handle(Client c, String text, long arrivedAt);
  }

  static CompletableFuture<Client> connect(HttpClient http, String url, String token, Client c) {
    c.connectStartedAt = System.nanoTime();
    String target = token == null ? url : url + "?access_token=" + token;
    http.newWebSocketBuilder()
        .subprotocols("agentwire.v1")
        .connectTimeout(Duration.ofSeconds(60))
        .buildAsync(URI.create(target), c)
        .whenComplete(
            (ws, failure) -> {
              if (failure != null) {
                c.ready.completeExceptionally(failure);
                c.ended.complete(new Ended(-1, String.valueOf(failure)));
              }
            });
    return c.ready;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    socket = webSocket;
    openedAt = System.nanoTime();
    onOpen.accept(this);
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    long now = System.nanoTime();
    partial.append(data);
    if (last) {
      String text = partial.toString();
      partial.setLength(0);
      if (!isReady) {
        isReady = true;
        readyAt = now;
        ready.complete(this);
      } else {
        onMessage.handle(this, text, now);
      }
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    Ended end = new Ended(statusCode, reason);
    ended.complete(end);
    ready.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    ended.complete(new Ended(-1, String.valueOf(error)));
    ready.completeExceptionally(error);
  }

  /** Queues one text message; never blocks. */
  void send(String text) {
    synchronized (this) {
      if (sending) {
        pending.addLast(text);
        return;
      }
      sending = true;
    }
    transmit(text);
  }

  private void transmit(String text) {
    WebSocket ws = socket;
    if (ws == null || ws.isOutputClosed()) {
      synchronized (this) {
        sending = false;
        pending.clear();
      }
      return;
    }
    ws.sendText(text, true)
        .whenComplete(
            (w, failure) -> {
              String next;
              synchronized (this) {
                next = failure == null ? pending.pollFirst() : null;
                if (next == null) {
                  sending = false;
                  if (failure != null) {
                    pending.clear();
                  }
                  return;
                }
              }
              transmit(next);
            });
  }

  /** Starts the closing handshake with 1000; {@link #ended} completes when the server answers. */
  void close() {
    WebSocket ws = socket;
    if (ws == null) {
      return;
    }
    if (!ws.isOutputClosed()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(t -> null);
    }
  }

  /** Closes without a handshake (the socket is gone at once). */
  void abort() {
    WebSocket ws = socket;
    if (ws != null) {
      ws.abort();
    }
  }

  boolean isReady() {
    return isReady;
  }
}
