package io.agentwire.connection.control;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.ConnectionStateMachine;
import io.agentwire.connection.entity.ConnectionSummary;
import io.agentwire.connection.entity.Observation;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * One WebSocket conversation: its transport, state machine, set-up progress, hold and outbound
 * queue. Callers change it under its own monitor ({@code synchronized (connection)}) so that "ready
 * is sent, then the hold is released" and "a message arrives" never interleave. It has no timers of
 * its own: the {@link Sweeper} reads its due times, so nothing scheduled holds it after its close.
 */
public final class Connection {

  private final Transport socket;
  private final ConnectionStateMachine machine;
  private final long openedNanos;
  private final Instant openedAt;
  private final Hold hold;
  private final Outbound outbound;
  private final EnumSet<SetupStep> finished = EnumSet.noneOf(SetupStep.class);
  private volatile String id;
  private volatile String subject;
  private volatile Set<String> groups = Set.of();

  /**
   * The token's {@code exp} in epoch milliseconds, {@link Long#MAX_VALUE} when none: a long, so
   * that the check on every send allocates nothing ({@code exp} has whole seconds anyway).
   */
  private volatile long tokenExpiryMillis = Long.MAX_VALUE;

  private volatile StreamSession session;
  private volatile SessionGrant grant;

  /** The upgrade's {@code resume} and {@code lastSeq} query parameters, as given. */
  private String resumeToken;

  private String lastSeq;

  /** The drain's plan for this connection: null until the instance drains, and after its close. */
  private DrainSchedule drain;

  private long drainStartNanos;
  private Duration drainSlot;
  private volatile long reconnectAfterMs;
  private SetupStep failed;
  private List<SetupStep> degraded = List.of();
  private String pendingToken;
  private volatile int closeCode;
  private final LongSupplier ticker;
  private volatile long lastTrafficNanos;
  private final RateLimit rate;
  private final Assembler inbound;
  private volatile long lastPingNanos;

  /** When the services steps are due (fault injection holds them back), 0 when not pending. */
  private volatile long servicesDueNanos;

  /** When a close that waits for the send in flight (4408) is forced anyway, 0 when none. */
  private volatile long forcedCloseDueNanos;

  private volatile Runnable forcedClose;

  /** Whether the container's open callback returned, and a sweep has seen it since. */
  private boolean openReturned;

  private boolean settled;
  private Runnable closeWhenSettled;

  Connection(
      Transport socket,
      Clock clock,
      int holdCapacity,
      int messagesPerSecond,
      int maxMessageBytes,
      Outbound outbound,
      String token) {
    this(
        socket,
        clock,
        System::nanoTime,
        holdCapacity,
        messagesPerSecond,
        maxMessageBytes,
        outbound,
        token);
  }

  /** With {@code ticker} for every duration it measures (a fake one in tests). */
  Connection(
      Transport socket,
      Clock clock,
      LongSupplier ticker,
      int holdCapacity,
      int messagesPerSecond,
      int maxMessageBytes,
      Outbound outbound,
      String token) {
    this.socket = socket;
    this.machine = new ConnectionStateMachine(clock);
    this.ticker = ticker;
    this.openedNanos = ticker.getAsLong();
    this.lastTrafficNanos = openedNanos;
    this.lastPingNanos = openedNanos;
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
    lastTrafficNanos = ticker.getAsLong();
  }

  /** How long the client has been silent. */
  Duration silence() {
    return Duration.ofNanos(ticker.getAsLong() - lastTrafficNanos);
  }

  /** Admits one message under the per-connection rate; false when over it. */
  boolean admitMessage() {
    return rate.admit(ticker.getAsLong());
  }

  /** Records that a ping went out now. */
  void pinged() {
    lastPingNanos = ticker.getAsLong();
  }

  /** How long since the last ping went out (or since open). */
  Duration sincePing() {
    return Duration.ofNanos(ticker.getAsLong() - lastPingNanos);
  }

  /** The services steps run when {@link #servicesDue} says so (fault injection delay). */
  void servicesAfter(Duration delay) {
    servicesDueNanos = ticker.getAsLong() + Math.max(1, delay.toNanos());
  }

  /** True once, when the delayed services steps are due. */
  synchronized boolean servicesDue() {
    if (servicesDueNanos != 0 && ticker.getAsLong() - servicesDueNanos >= 0) {
      servicesDueNanos = 0;
      return true;
    }
    return false;
  }

  /** The container's open callback returned. */
  synchronized void openReturned() {
    openReturned = true;
  }

  /**
   * Runs {@code close} now if the transport is settled, else once it is. A close from another
   * thread while the container is still inside its open callback can be lost: Tyrus sets its socket
   * CONNECTED before calling onOpen, and TyrusHttpUpgradeHandler.init assigns the connection its
   * close listener uses only after createConnection (which calls onOpen) returns (Tyrus 2.2, Payara
   * Micro 7.2026.11); ChurnIT saw a refused client that never got its 4401 close frame.
   */
  void whenSettled(Runnable close) {
    boolean now;
    synchronized (this) {
      now = settled;
      if (!now) {
        closeWhenSettled = close;
      }
    }
    if (now) {
      close.run();
    }
  }

  /**
   * Called by the sweeper: the first sweep after the open callback returned settles the transport
   * (the container finished its own set-up in between) and runs a close that waited.
   */
  void settle() {
    Runnable close;
    synchronized (this) {
      if (settled || !openReturned) {
        return;
      }
      settled = true;
      close = closeWhenSettled;
      closeWhenSettled = null;
    }
    if (close != null) {
      close.run();
    }
  }

  /** Forces {@code close} after {@code delay} unless it ran before. */
  void forceCloseAfter(Duration delay, Runnable close) {
    forcedClose = close;
    forcedCloseDueNanos = ticker.getAsLong() + Math.max(1, delay.toNanos());
  }

  /** The forced close, once, when it is due. */
  synchronized java.util.Optional<Runnable> forcedCloseDue() {
    Runnable close = forcedClose;
    if (close != null && ticker.getAsLong() - forcedCloseDueNanos >= 0) {
      forcedClose = null;
      return java.util.Optional.of(close);
    }
    return java.util.Optional.empty();
  }

  /** Whether the token had expired (plus skew) at {@code now}. */
  boolean tokenExpired(Instant now, Duration skew) {
    return tokenExpired(now.toEpochMilli(), skew.toMillis());
  }

  /** As {@link #tokenExpired(Instant, Duration)} in milliseconds: no allocation on every send. */
  boolean tokenExpired(long nowMillis, long skewMillis) {
    long expiry = tokenExpiryMillis;
    return expiry != Long.MAX_VALUE && nowMillis > expiry + skewMillis;
  }

  /** The id assigned by registration; absent before. */
  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  /** The id for logs: the connection id once assigned, else the transport's id. */
  public String logId() {
    String assigned = id;
    return assigned != null ? assigned : "socket-" + socket.id();
  }

  void assignId(String id) {
    this.id = id;
  }

  public Transport socket() {
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
    return Duration.ofNanos(ticker.getAsLong() - openedNanos);
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
    this.tokenExpiryMillis = expiry == null ? Long.MAX_VALUE : expiry.toEpochMilli();
  }

  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  public Set<String> groups() {
    return groups;
  }

  public Optional<Instant> tokenExpiry() {
    long expiry = tokenExpiryMillis;
    return expiry == Long.MAX_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expiry));
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

  /** A session without a resume (tests). */
  void attach(StreamSession session) {
    granted(SessionGrant.fresh(session));
  }

  void granted(SessionGrant grant) {
    this.grant = grant;
    this.session = grant.session();
  }

  /** How the session was granted: resumed, or new and why; present once {@link #session} is. */
  Optional<SessionGrant> grant() {
    return Optional.ofNullable(grant);
  }

  /** Keeps the upgrade's resume parameters until the session step asks for them. */
  synchronized void resumeWith(String resumeToken, String lastSeq) {
    this.resumeToken = resumeToken;
    this.lastSeq = lastSeq;
  }

  /** What the session step asks the directory for; the resume token is handed out once. */
  synchronized SessionRequest sessionRequest(String subject) {
    SessionRequest request = SessionRequest.of(subject, resumeToken, lastSeq);
    resumeToken = null;
    return request;
  }

  /** The drain closes this connection at {@code slot} after {@code startNanos} (if idle). */
  synchronized void drainAt(
      DrainSchedule schedule, long startNanos, Duration slot, long reconnectAfterMs) {
    this.reconnectAfterMs = reconnectAfterMs;
    this.drainStartNanos = startNanos;
    this.drainSlot = slot;
    this.drain = schedule;
  }

  /**
   * Whether the drain's time for this connection has come ({@link DrainSchedule#due}). True once.
   */
  synchronized boolean drainDue(boolean busy) {
    if (drain == null
        || !drain.due(Duration.ofNanos(ticker.getAsLong() - drainStartNanos), drainSlot, busy)) {
      return false;
    }
    drain = null;
    return true;
  }

  /** The {@code reconnectAfterMs} the drain chose for this connection. */
  long reconnectAfterMs() {
    return reconnectAfterMs;
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

  /** What diagnostics keep once the connection is gone: values only. */
  public synchronized ConnectionSummary summary() {
    StreamSession s = session;
    return new ConnectionSummary(
        logId(),
        subject == null ? "" : subject,
        openedAt,
        machine.state(),
        degraded.stream().map(SetupStep::wireName).toList(),
        closeCode,
        s == null ? null : s.id(),
        s == null ? 0 : s.lastSeq(),
        machine.timeline());
  }
}
