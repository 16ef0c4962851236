package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (the JDK's) that records every message and the close. */
public final class Ws implements WebSocket.Listener {

  /** How a connection ended: code and reason as sent by the server. */
  public record Close(int code, String reason) {}

  public static final Duration WAIT = Duration.ofSeconds(20);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Close> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private WebSocket socket;
  private volatile java.util.function.Consumer<JsonObject> hook = m -> {};

  /** The WebSocket URI of a deployment, on loopback (Payara reports its external address). */
  public static URI uri(URL base, String query) {
    String q = query == null || query.isEmpty() ? "" : "?" + query;
    return URI.create("ws://127.0.0.1:" + base.getPort() + "/ws" + q);
  }

  public static Ws connect(URL base, String token) {
    return connect(base, token, "", List.of());
  }

  public static Ws connect(URL base, String token, String query, List<String> subprotocols) {
    return connect(base, token, query, subprotocols, m -> {});
  }

  /**
   * With {@code hook} called for every message on the client's receiving thread, before the next
   * message (or the close) is delivered: to observe the server at the moment a message arrives.
   */
  public static Ws connect(
      URL base,
      String token,
      String query,
      List<String> subprotocols,
      java.util.function.Consumer<JsonObject> hook) {
    Ws ws = new Ws();
    ws.hook = hook;
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(WAIT);
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    if (!subprotocols.isEmpty()) {
      builder.subprotocols(
          subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
    }
    ws.socket =
        builder
            .buildAsync(uri(base, query), ws)
            .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
            .join();
    return ws;
  }

  public WebSocket socket() {
    return socket;
  }

  public Ws send(String json) {
    socket.sendText(json, true).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    return this;
  }

  /** The next message, or a failed assertion after {@link #WAIT}. */
  public JsonObject next() {
    try {
      JsonObject m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(m).as("a message within %s (closed: %s)", WAIT, closed.getNow(null)).isNotNull();
      return m;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next message, which must be of this type. */
  public JsonObject next(String type) {
    JsonObject m = next();
    assertThat(m.getString("type")).as("type of %s", m).isEqualTo(type);
    return m;
  }

  /** Messages received so far and not yet taken. */
  public List<JsonObject> pending() {
    return List.copyOf(messages);
  }

  /** The server's close, within {@link #WAIT}. */
  public Close awaitClose() {
    return closed.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
  }

  /**
   * The close, if one comes within {@code max}: for asserting that a connection stays open for a
   * while, waiting on the close itself rather than polling.
   */
  public java.util.Optional<Close> closedWithin(Duration max) {
    try {
      return java.util.Optional.of(closed.get(max.toMillis(), TimeUnit.MILLISECONDS));
    } catch (java.util.concurrent.TimeoutException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      JsonObject m = Json.createReader(new StringReader(partial.toString())).readObject();
      partial.setLength(0);
      hook.accept(m);
      messages.add(m);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    closed.complete(new Close(statusCode, reason));
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    closed.complete(new Close(-1, String.valueOf(error)));
  }
}
