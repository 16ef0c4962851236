package io.agentwire.connection.control;

import jakarta.websocket.CloseReason;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A transport that records what the server did with it, for tests without a container. */
final class FakeTransport implements Transport {

  private static final AtomicInteger IDS = new AtomicInteger();

  final String id = "t-" + IDS.incrementAndGet();
  final List<String> sent = new CopyOnWriteArrayList<>();
  final List<CloseReason> closes = new CopyOnWriteArrayList<>();
  final AtomicInteger pings = new AtomicInteger();
  volatile boolean open = true;

  /** Runs inside send, on the sender's thread: a container that reports a close right there. */
  volatile Consumer<String> onSend = text -> {};

  @Override
  public String id() {
    return id;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void send(String text, Consumer<Throwable> done) {
    sent.add(text);
    onSend.accept(text);
    done.accept(null);
  }

  @Override
  public void ping() {
    pings.incrementAndGet();
  }

  @Override
  public void close(CloseReason reason) {
    closes.add(reason);
    open = false;
  }

  /**
   * A connection driven to READY as set-up would drive it, with {@code ready} sent first and a
   * token of alice's that expires at {@code tokenExpiry}.
   */
  Connection ready(
      ClosePolicy closes, java.util.function.LongSupplier ticker, java.time.Instant tokenExpiry) {
    Connection c = connection("token", ticker);
    closes.transition(c, new io.agentwire.connection.entity.ConnectionEvent.Opened());
    c.authenticated("alice", java.util.Set.of(), tokenExpiry);
    closes.transition(c, new io.agentwire.connection.entity.ConnectionEvent.Authenticated("alice"));
    closes.transition(c, new io.agentwire.connection.entity.ConnectionEvent.ServicesReady());
    c.outbound().open("{\"type\":\"ready\"}");
    closes.transition(c, new io.agentwire.connection.entity.ConnectionEvent.ReadySent());
    return c;
  }

  /** The codes of the closes, in order. */
  List<Integer> closeCodes() {
    return closes.stream().map(r -> r.getCloseCode().getCode()).toList();
  }

  /** A connection over this transport with small limits and the given token. */
  Connection connection(String token) {
    return connection(token, System::nanoTime);
  }

  /** A connection whose container open callback has not returned yet (nothing is settled). */
  Connection unsettled(java.util.function.LongSupplier ticker) {
    Outbound outbound = new Outbound(this::send, 1 << 20, (t, f) -> {});
    return new Connection(this, Clock.systemUTC(), ticker, 4, 100, 1024, outbound, "token");
  }

  /** The same, measuring time with {@code ticker}. */
  Connection connection(String token, java.util.function.LongSupplier ticker) {
    Outbound outbound = new Outbound(this::send, 1 << 20, (t, f) -> {});
    Connection c = new Connection(this, Clock.systemUTC(), ticker, 4, 100, 1024, outbound, token);
    c.openReturned();
    c.settle();
    return c;
  }
}
