package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.ConnectionStateMachine;
import io.agentwire.diagnostics.control.RacePattern;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.readiness.entity.SetupStep;
import io.agentwire.security.control.TokenVerifier;
import io.agentwire.session.control.Sessions;
import io.agentwire.session.entity.StreamSession;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The registry of live connections and the owner of their lifecycle: open, receive, close. The
 * endpoint forwards every callback here in one line.
 */
@ApplicationScoped
public class Connections {

  /** The user property under which the handshake leaves the token for set-up. */
  public static final String TOKEN = "io.agentwire/token";

  private static final Logger LOG = System.getLogger("agentwire.connection");
  private static final int RECENTLY_CLOSED = 256;

  @Inject ConnectionSettings settings;
  @Inject ReadinessSettings readiness;
  @Inject ConnectionSetup setup;
  @Inject ReadyGate gate;
  @Inject Telemetry telemetry;
  @Inject Sessions sessions;
  @Inject Event<ConnectionClosed> closedEvents;
  @Inject TokenVerifier verifier;

  @Resource ManagedExecutorService executor;
  @Resource ManagedScheduledExecutorService scheduler;

  private final Clock clock = Clock.systemUTC();
  private final Map<String, Connection> bySocket = new ConcurrentHashMap<>();
  private final Map<String, Connection> byId = new ConcurrentHashMap<>();
  private final Map<String, java.util.Set<Connection>> bySubject = new ConcurrentHashMap<>();
  private final Map<String, Connection> closed =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Connection> eldest) {
          return size() > RECENTLY_CLOSED;
        }
      };

  /** Announced when a connection is closed, so that its runs and session can be released. */
  public record ConnectionClosed(Connection connection) {}

  public void open(Session socket) {
    String token = (String) socket.getUserProperties().remove(TOKEN);
    String socketId = socket.getId();
    Outbound outbound =
        new Outbound(
            (text, done) ->
                socket
                    .getAsyncRemote()
                    .sendText(
                        text, result -> done.accept(result.isOK() ? null : result.getException())),
            settings.outboundBytes(),
            (text, failure) -> executor.execute(() -> sendFailed(socketId, failure)));
    Connection c =
        new Connection(
            socket,
            clock,
            readiness.holdMaxMessages(),
            settings.messagesPerSecond(),
            settings.maxMessageBytes(),
            outbound,
            token);
    bySocket.put(socketId, c);
    transition(c, new ConnectionEvent.Opened());
    startHeartbeat(c);
    setup.begin(c);
  }

  /**
   * Ping frames every interval; two silent intervals close with 1001 (PROTOCOL section 5).
   *
   * <p>The container's own idle timeout stays off (0, Tyrus's default), deliberately: it closes
   * with 1000, and raising it from 0 races Tyrus's idle task. TyrusSession schedules an
   * IdleTimeoutCommand with delay 0 while the timeout is 0; that command closes the session if the
   * timeout is positive when it finally runs ({@code TyrusSession.IdleTimeoutCommand}, {@code
   * restartIdleTimeoutExecutor}, Tyrus 2.1.5). Under load the stale command ran after {@code
   * setMaxIdleTimeout} and closed healthy new connections as "idle" (seen in the 200-connection
   * IT).
   */
  private void startHeartbeat(Connection c) {
    Duration interval = settings.heartbeat();
    c.timer(
        scheduler.scheduleAtFixedRate(
            () -> beat(c), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS));
  }

  private void beat(Connection c) {
    if (c.state().isEnding()) {
      return;
    }
    if (c.silence().compareTo(settings.heartbeat().multipliedBy(2)) >= 0) {
      close(c, CloseCode.IDLE, CloseCode.IDLE.reason(), false);
      return;
    }
    try {
      c.socket().getAsyncRemote().sendPing(ByteBuffer.allocate(0));
    } catch (IOException | IllegalStateException e) {
      LOG.log(Level.DEBUG, "ping to {0} failed: {1}", c.logId(), e.toString());
    }
  }

  /** A pong frame: the client is alive. */
  public void pong(Session socket) {
    find(socket).ifPresent(Connection::traffic);
  }

  /**
   * Admits an authenticated connection under the per-subject limit; false means the caller closes
   * it with 4429 before it holds anything.
   */
  boolean admit(Connection c, String subject) {
    boolean[] admitted = {false};
    // compute() is atomic per subject, also against the removal in closed().
    bySubject.compute(
        subject,
        (k, mine) -> {
          java.util.Set<Connection> set = mine == null ? new java.util.HashSet<>() : mine;
          if (set.size() < settings.connectionsPerSubject()) {
            admitted[0] = set.add(c);
          }
          return set.isEmpty() ? null : set;
        });
    if (admitted[0] && c.state().isEnding()) {
      // Closed while being admitted: closed() may have looked for it before it was added.
      forgetSubject(c, subject);
      return false;
    }
    return admitted[0];
  }

  private void forgetSubject(Connection c, String subject) {
    bySubject.computeIfPresent(
        subject,
        (k, set) -> {
          set.remove(c);
          return set.isEmpty() ? null : set;
        });
  }

  /** One fragment of a text message; whole messages go on to the gate. */
  public void receive(Session socket, String fragment, boolean last) {
    Connection c = bySocket.get(socket.getId());
    if (c == null) {
      if (last) {
        telemetry.race(
            RacePattern.MESSAGE_AFTER_CLOSE, "socket-" + socket.getId(), "no connection");
      }
      return;
    }
    c.traffic();
    if (c.state().isEnding()) {
      if (last) {
        telemetry.race(RacePattern.MESSAGE_AFTER_CLOSE, c.logId(), "state " + c.state());
      }
      return;
    }
    Assembler.Result result = c.inbound().append(fragment, last);
    if (result instanceof Assembler.Result.TooBig) {
      close(c, CloseCode.TOO_BIG, CloseCode.TOO_BIG.reason(), false);
    } else if (result instanceof Assembler.Result.Complete complete) {
      receive(c, complete.text());
    }
  }

  private void receive(Connection c, String text) {
    if (!c.admitMessage()) {
      close(c, CloseCode.TOO_MANY, CloseCode.TOO_MANY.reason(), false);
      return;
    }
    gate.receive(c, text);
  }

  /** A binary frame: PROTOCOL section 4 allows text only. */
  public void receiveBinary(Session socket) {
    find(socket).ifPresent(c -> close(c, CloseCode.TEXT_ONLY, CloseCode.TEXT_ONLY.reason(), false));
  }

  public void closed(Session socket, CloseReason reason) {
    Connection c = bySocket.remove(socket.getId());
    if (c == null) {
      return;
    }
    int code = reason.getCloseCode().getCode();
    if (c.state().isSettingUp()) {
      telemetry.race(
          RacePattern.CLOSE_DURING_INITIALIZATION,
          c.logId(),
          "closed with " + code + " in " + c.state());
    }
    synchronized (c) {
      if (c.state() != ConnectionState.FAILED) {
        transition(c, new ConnectionEvent.Closed(code));
      }
    }
    c.outbound().abort();
    c.cancelTimers();
    c.closeCode(code);
    c.id().ifPresent(byId::remove);
    c.subject().ifPresent(subject -> forgetSubject(c, subject));
    synchronized (closed) {
      closed.put(c.id().orElse(c.logId()), c);
    }
    telemetry.closed(code);
    closedEvents.fire(new ConnectionClosed(c));
    // Until resumption (PROTOCOL section 6) keeps sessions for their retention period, a
    // session ends with its connection.
    c.session().ifPresent(sessions::release);
  }

  /**
   * An error reported by the container: a defect, logged with an incident id beside its stack
   * trace, then closed with 1011 (G5). Client faults never arrive here: the size limit is applied
   * by our {@link Assembler} (Tyrus enforces none on fragment handlers) and invalid UTF-8 is closed
   * by Tyrus with 1007 before any handler.
   */
  public void failed(Session socket, Throwable error) {
    Optional<Connection> c = find(socket);
    String incident = UUID.randomUUID().toString().substring(0, 8);
    LOG.log(
        Level.ERROR,
        "incident "
            + incident
            + " on connection "
            + c.map(Connection::logId).orElse("socket-" + socket.getId()),
        error);
    c.ifPresent(conn -> defect(conn, incident));
  }

  void defect(Connection c, String incident) {
    close(c, CloseCode.DEFECT, "internal error, incident " + incident, false);
  }

  /**
   * Closes with a code of PROTOCOL section 8. With {@code flush}, what is queued is sent first;
   * without, it is dropped. The socket is closed off the calling thread: closing from inside a
   * container callback can hang Tyrus (tyrus-project/tyrus issue 389).
   */
  public void close(Connection c, CloseCode code, String reason, boolean flush) {
    synchronized (c) {
      if (c.state().isEnding()) {
        return;
      }
      transition(c, new ConnectionEvent.CloseRequested(code.getCode(), reason));
    }
    Runnable closeSocket =
        () ->
            executor.execute(
                () -> {
                  try {
                    c.socket().close(code.toCloseReason(reason));
                  } catch (IOException | IllegalStateException e) {
                    LOG.log(Level.DEBUG, "close of {0} failed: {1}", c.logId(), e.toString());
                  }
                });
    if (flush) {
      c.outbound().finish(closeSocket);
    } else if (code == CloseCode.TOO_SLOW) {
      // The client reads too slowly, so the container's write queue is full and our send in flight
      // waits in Tyrus's own queue. Closing now would queue the close frame behind it, and Tyrus
      // ends the connection right after queueing a close frame, failing whatever it still queues
      // (ProtocolHandler.close -> TyrusWebSocket.onClose -> doClose -> TyrusServletWriter.close,
      // Tyrus 2.1.5): the client would read the buffered events, then an end without 4408. So drop
      // the queue (the events stay in the session) and close when the send in flight completes:
      // the container's queue has just drained below its limit then, and a client that reads again
      // gets the close frame behind the events. One that does not read for a heartbeat interval is
      // closed anyway; it could not see a close frame either.
      AtomicBoolean once = new AtomicBoolean();
      Runnable closeOnce =
          () -> {
            if (once.compareAndSet(false, true)) {
              closeSocket.run();
            }
          };
      c.outbound().discard(closeOnce);
      c.timer(
          scheduler.schedule(closeOnce, settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS));
    } else {
      c.outbound().abort();
      closeSocket.run();
    }
  }

  /** Sends one server message through the connection's outbound queue, counting the races. */
  public void send(Connection c, String text) {
    if (c.tokenExpired(clock.instant(), verifier.clockSkew())) {
      // No event leaves after the token's end, even if the expiry timer has not fired yet.
      telemetry.race(RacePattern.SEND_AFTER_CLOSE, c.logId(), "token expired");
      executor.execute(
          () ->
              close(
                  c,
                  CloseCode.UNAUTHORIZED,
                  CloseCode.UNAUTHORIZED.reason("token expired"),
                  false));
      return;
    }
    switch (c.outbound().offer(text)) {
      case QUEUED -> {}
      case BEFORE_READY ->
          telemetry.race(RacePattern.SEND_BEFORE_READY, c.logId(), "queued behind ready");
      case AFTER_CLOSE ->
          telemetry.race(RacePattern.SEND_AFTER_CLOSE, c.logId(), "dropped in " + c.state());
      case OVERFLOW ->
          // Off this thread: the caller may hold a session's lock (lock order: connection first).
          executor.execute(() -> close(c, CloseCode.TOO_SLOW, CloseCode.TOO_SLOW.reason(), false));
    }
  }

  /** Applies an event to the state machine; an illegal one is refused, counted and logged. */
  public void transition(Connection c, ConnectionEvent event) {
    ConnectionStateMachine.Outcome outcome = c.apply(event);
    if (outcome instanceof ConnectionStateMachine.Outcome.Refused refused) {
      telemetry.race(
          RacePattern.INVALID_STATE_TRANSITION,
          c.logId(),
          refused.event() + " in " + refused.state(),
          readiness.strictness().illegalTransitionLevel());
      if (readiness.strictness().closesOnIllegalTransition() && !refused.state().isEnding()) {
        String incident = UUID.randomUUID().toString().substring(0, 8);
        LOG.log(
            Level.ERROR,
            "incident {0}: illegal transition {1} in {2} on {3}",
            incident,
            refused.event(),
            refused.state(),
            c.logId());
        executor.execute(() -> defect(c, incident));
      }
    }
  }

  /** Registration: the connection gets its id and is published. Idempotent. */
  void register(Connection c) {
    synchronized (c) {
      if (c.hasFinished(SetupStep.REGISTRATION) || c.state().isEnding()) {
        return;
      }
      String id = UUID.randomUUID().toString();
      c.assignId(id);
      byId.put(id, c);
      c.finished(SetupStep.REGISTRATION);
    }
  }

  /** The session step: a session for the subject, whose events flow to this connection. */
  void attachSession(Connection c) {
    synchronized (c) {
      if (c.hasFinished(SetupStep.SESSION) || c.state().isEnding()) {
        return;
      }
      StreamSession session = sessions.open(c.subject().orElseThrow());
      session.sink(text -> send(c, text));
      c.attach(session);
      c.finished(SetupStep.SESSION);
    }
  }

  private void sendFailed(String socketId, Throwable failure) {
    Connection c = bySocket.get(socketId);
    if (c != null) {
      LOG.log(Level.DEBUG, "send to {0} failed: {1}", c.logId(), failure.toString());
      close(c, CloseCode.NORMAL, "send failed", false);
    }
  }

  public Optional<Connection> find(Session socket) {
    return Optional.ofNullable(bySocket.get(socket.getId()));
  }

  /** A live connection by id, or a recently closed one (for diagnostics). */
  public Optional<Connection> byId(String id) {
    Connection live = byId.get(id);
    if (live != null) {
      return Optional.of(live);
    }
    synchronized (closed) {
      return Optional.ofNullable(closed.get(id));
    }
  }

  public Collection<Connection> live() {
    return List.copyOf(bySocket.values());
  }

  public Map<ConnectionState, Long> countByState() {
    Map<ConnectionState, Long> counts = new EnumMap<>(ConnectionState.class);
    for (ConnectionState s : ConnectionState.values()) {
      counts.put(s, 0L);
    }
    for (Connection c : bySocket.values()) {
      counts.merge(c.state(), 1L, Long::sum);
    }
    return counts;
  }
}
