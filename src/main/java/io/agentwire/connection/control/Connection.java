package io.agentwire.connection.control;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.ConnectionStateMachine;
import io.agentwire.readiness.entity.Observation;
import io.agentwire.readiness.entity.SetupStep;
import io.agentwire.session.entity.StreamSession;
import jakarta.websocket.Session;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;

/**
 * One WebSocket conversation: its socket, state machine, set-up progress, hold and outbound queue.
 * Callers change it under its own monitor ({@code synchronized (connection)}) so that "ready is
 * sent, then the hold is released" and "a message arrives" never interleave.
 */
public final class Connection {

  private final Session socket;
  private final ConnectionStateMachine machine;
  private final long openedNanos;
  private final Instant openedAt;
  private final Hold hold;
  private final Outbound outbound;
  private final EnumSet<SetupStep> finished = EnumSet.noneOf(SetupStep.class);
  private volatile String id;
  private volatile String subject;
  private volatile Set<String> groups = Set.of();
  private volatile Instant tokenExpiry;
  private volatile StreamSession session;
  private SetupStep failed;
  private List<SetupStep> degraded = List.of();
  private String pendingToken;
  private volatile int closeCode;
  private volatile long lastTrafficNanos = System.nanoTime();
  private final RateLimit rate;
  private final Assembler inbound;
  private final List<Future<?>> timers = new ArrayList<>();
  private boolean timersCancelled;

  Connection(
      Session socket,
      Clock clock,
      int holdCapacity,
      int messagesPerSecond,
      int maxMessageBytes,
      Outbound outbound,
      String token) {
    this.socket = socket;
    this.machine = new ConnectionStateMachine(clock);
    this.openedNanos = System.nanoTime();
    this.openedAt = clock.instant();
    this.hold = new Hold(holdCapacity);
    this.outbound = outbound;
    this.pendingToken = token;
    this.rate = new RateLimit(messagesPerSecond, openedNanos);
    this.inbound = new Assembler(maxMessageBytes);
  }

  Assembler inbound() {
    return inbound;
  }

  /** Something arrived from the client (a message or a pong). */
  void traffic() {
    lastTrafficNanos = System.nanoTime();
  }

  /** How long the client has been silent. */
  Duration silence() {
    return Duration.ofNanos(System.nanoTime() - lastTrafficNanos);
  }

  /** Admits one message under the per-connection rate; false when over it. */
  boolean admitMessage() {
    return rate.admit(System.nanoTime());
  }

  /** A timer of this connection (heartbeat, deadline, token expiry), cancelled when it closes. */
  synchronized void timer(Future<?> task) {
    if (timersCancelled) {
      task.cancel(false);
    } else {
      timers.add(task);
    }
  }

  synchronized void cancelTimers() {
    timersCancelled = true;
    timers.forEach(t -> t.cancel(false));
    timers.clear();
  }

  /** Whether the token had expired (plus skew) at {@code now}. */
  boolean tokenExpired(Instant now, Duration skew) {
    Instant expiry = tokenExpiry;
    return expiry != null && now.isAfter(expiry.plus(skew));
  }

  /** The id assigned by registration; absent before. */
  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  /** The id for logs: the connection id once assigned, else the transport's id. */
  public String logId() {
    String assigned = id;
    return assigned != null ? assigned : "socket-" + socket.getId();
  }

  void assignId(String id) {
    this.id = id;
  }

  public Session socket() {
    return socket;
  }

  public ConnectionState state() {
    return machine.state();
  }

  ConnectionStateMachine.Outcome apply(ConnectionEvent event) {
    return machine.next(event);
  }

  public List<ConnectionStateMachine.Transition> timeline() {
    return machine.timeline();
  }

  public Duration sinceOpen() {
    return Duration.ofNanos(System.nanoTime() - openedNanos);
  }

  public Instant openedAt() {
    return openedAt;
  }

  public synchronized Observation observe() {
    return new Observation(
        socket.isOpen(),
        Optional.of(machine.state()),
        id(),
        EnumSet.copyOf(finished),
        Optional.ofNullable(failed),
        sinceOpen());
  }

  synchronized void finished(SetupStep step) {
    finished.add(step);
  }

  synchronized boolean hasFinished(SetupStep step) {
    return finished.contains(step);
  }

  synchronized void failed(SetupStep step) {
    if (failed == null) {
      failed = step;
    }
  }

  /** Hands out the token once, for verification; it is not kept afterwards. */
  synchronized String takeToken() {
    String token = pendingToken;
    pendingToken = null;
    return token;
  }

  void authenticated(String subject, Set<String> groups, Instant expiry) {
    this.subject = subject;
    this.groups = Set.copyOf(groups);
    this.tokenExpiry = expiry;
  }

  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  public Set<String> groups() {
    return groups;
  }

  public Optional<Instant> tokenExpiry() {
    return Optional.ofNullable(tokenExpiry);
  }

  public Hold hold() {
    return hold;
  }

  public Outbound outbound() {
    return outbound;
  }

  public Optional<StreamSession> session() {
    return Optional.ofNullable(session);
  }

  void attach(StreamSession session) {
    this.session = session;
  }

  synchronized void degraded(List<SetupStep> steps) {
    this.degraded = List.copyOf(steps);
  }

  public synchronized List<SetupStep> degraded() {
    return degraded;
  }

  void closeCode(int code) {
    this.closeCode = code;
  }

  /** The code the connection closed with, 0 while open. */
  public int closeCode() {
    return closeCode;
  }
}
