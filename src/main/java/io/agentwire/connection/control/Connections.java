package io.agentwire.connection.control;

import io.agentwire.agent.control.Runs;
import io.agentwire.agent.entity.RunsEnded;
import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.RacePattern;
import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.readiness.control.ExecutorWatch;
import io.agentwire.readiness.control.ExecutorWatches;
import io.agentwire.readiness.control.InstanceLifecycle;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.security.control.TokenVerifier;
import io.agentwire.session.control.SessionDirectory;
import io.agentwire.session.entity.ClusterNotice;
import io.agentwire.session.entity.ResumeOutcome;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.StreamSession;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.concurrent.ManagedThreadFactoryDefinition;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The container's side of connections: the endpoint forwards every callback here in one line, and
 * this bean wires the parts that do the work (registry, set-up, gate, close policy, delivery,
 * sweeper) with the container's executors and settings, as {@code Runs} does for the runner.
 */
@ApplicationScoped
@ManagedThreadFactoryDefinition(name = Connections.THREADS)
public class Connections {

  /** The user property under which the handshake leaves the token for set-up. */
  public static final String TOKEN = "io.agentwire/token";

  /**
   * Set-up and closes get threads of their own, apart from agents and from the container's: a pool
   * of {@value #POOL} container-managed threads (Jakarta Concurrency's ManagedThreadFactory, so
   * each thread carries the application's context), not a ManagedExecutorService. Payara
   * 7.2026.11's executors capture the context for every task, and each capture runs a ServiceLoader
   * lookup over the WAR's class path ({@code
   * org.glassfish.concurrent.runtime.ContextSetupProviderImpl.saveContext}: {@code
   * ServiceLoader.load(ThreadContextProvider.class, ...)} on every call); a thread of the factory
   * captures it once, when it is made.
   */
  static final String THREADS = "java:app/concurrent/agentwire-connection-threads";

  /** Set-up is short CPU work (a signature check) and never blocks; 2 cores here. */
  static final int POOL = 16;

  private static final Logger LOG = System.getLogger("agentwire.connection");

  @Inject ConnectionSettings settings;
  @Inject ReadinessSettings readiness;
  @Inject InstanceLifecycle instance;
  @Inject TokenVerifier verifier;
  @Inject SessionDirectory sessions;
  @Inject Runs runs;
  @Inject ExecutorWatches watches;
  @Inject Event<ConnectionLifecycle> lifecycle;

  @Resource(lookup = THREADS)
  ManagedThreadFactory threads;

  @Resource ManagedScheduledExecutorService scheduler;

  private final Clock clock = Clock.systemUTC();
  private ConnectionRegistry registry;
  private ClosePolicy closes;
  private Delivery delivery;
  private ConnectionSetup setup;
  private ReadyGate gate;
  private final Feeds feeds = new Feeds();
  private ScheduledFuture<?> sweeping;
  private ExecutorWatch work;
  private ThreadPoolExecutor executor;
  private final ServerMessageEncoder encoder = new ServerMessageEncoder();

  @PostConstruct
  void init() {
    executor =
        new ThreadPoolExecutor(
            POOL, POOL, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    executor.allowCoreThreadTimeOut(true);
    work = watches.watch("connections", executor);
    registry = new ConnectionRegistry(settings.connectionsPerSubject());
    closes =
        new ClosePolicy(
            work::execute, readiness.strictness(), settings.heartbeat(), lifecycle::fire);
    delivery = new Delivery(closes, work::execute, clock, verifier.clockSkew());
    setup =
        new ConnectionSetup(
            work::execute,
            verifier::verify,
            registry,
            closes,
            sessions::request,
            instance::refusesConnections,
            readiness.initDelay());
    // Its own decoder, not the CDI bean's client proxy: one call per message.
    MessageDispatch dispatch =
        new MessageDispatch(new MessageDecoder(), delivery, closes, runs, encoder);
    gate =
        new ReadyGate(
            readiness.strictness(),
            readiness.deadline(),
            new ServerMessage.Limits(
                settings.maxMessageBytes(),
                readiness.holdMaxMessages(),
                settings.runsPerConnection(),
                settings.messagesPerSecond()),
            settings.heartbeat().toMillis(),
            encoder,
            closes,
            setup::completeLocally,
            dispatch::handle,
            lifecycle::fire,
            feeds);
    setup.advanceWith(gate::advance);
    Sweeper sweeper =
        new Sweeper(
            registry,
            closes,
            gate::advance,
            setup::servicesDue,
            this::drainIfDue,
            work::execute,
            clock,
            readiness.deadline(),
            settings.heartbeat(),
            verifier.clockSkew());
    long tick = Sweeper.TICK.toMillis();
    sweeping = scheduler.scheduleWithFixedDelay(sweeper, tick, tick, TimeUnit.MILLISECONDS);
  }

  @PreDestroy
  void stop() {
    if (sweeping != null) {
      sweeping.cancel(false);
    }
    if (executor != null) {
      executor.shutdown();
    }
  }

  public void open(Session socket) {
    String token = (String) socket.getUserProperties().remove(TOKEN);
    var query = socket.getRequestParameterMap();
    Transport transport = Transport.of(socket);
    String socketId = transport.id();
    Outbound outbound =
        new Outbound(
            transport::send,
            settings.outboundBytes(),
            (text, failure) -> work.execute(() -> sendFailed(socketId, failure)));
    Connection c =
        new Connection(
            transport,
            clock,
            readiness.holdMaxMessages(),
            settings.messagesPerSecond(),
            settings.maxMessageBytes(),
            outbound,
            token);
    c.resumeWith(first(query.get("resume")), first(query.get("lastSeq")));
    registry.opened(c);
    closes.transition(c, new ConnectionEvent.Opened());
    lifecycle.fire(new ConnectionLifecycle.Opened(c.logId()));
    setup.begin(c);
    c.openReturned(); // a close requested from now on goes out at the next sweep at the latest
  }

  /** A pong frame: the client is alive. */
  public void pong(Session socket) {
    registry.bySocket(socket.getId()).ifPresent(Connection::traffic);
  }

  /** One fragment of a text message; whole messages go on to the gate. */
  public void receive(Session socket, String fragment, boolean last) {
    Optional<Connection> found = registry.bySocket(socket.getId());
    if (found.isEmpty()) {
      if (last) {
        lifecycle.fire(
            new ConnectionLifecycle.Race(
                RacePattern.MESSAGE_AFTER_CLOSE,
                "socket-" + socket.getId(),
                "no connection",
                Level.INFO));
      }
      return;
    }
    Connection c = found.get();
    c.traffic();
    if (c.state().isEnding()) {
      if (last) {
        closes.race(RacePattern.MESSAGE_AFTER_CLOSE, c, "state " + c.state());
      }
      return;
    }
    Assembler.Result result = c.inbound().append(fragment, last);
    if (result instanceof Assembler.Result.TooBig) {
      closes.close(c, CloseCode.TOO_BIG, CloseCode.TOO_BIG.reason(), false);
    } else if (result instanceof Assembler.Result.Complete complete) {
      if (!c.admitMessage()) {
        closes.close(c, CloseCode.TOO_MANY, CloseCode.TOO_MANY.reason(), false);
        return;
      }
      gate.receive(c, complete.text());
    }
  }

  /** A binary frame: PROTOCOL section 4 allows text only. */
  public void receiveBinary(Session socket) {
    registry
        .bySocket(socket.getId())
        .ifPresent(c -> closes.close(c, CloseCode.TEXT_ONLY, CloseCode.TEXT_ONLY.reason(), false));
  }

  /**
   * The transport closed. The connection leaves the registry, its session is released and only its
   * summary is kept: nothing of it stays reachable.
   */
  public void closed(Session socket, CloseReason reason) {
    Optional<Connection> found = registry.bySocket(socket.getId());
    if (found.isEmpty()) {
      return;
    }
    Connection c = found.get();
    int code = reason.getCloseCode().getCode();
    if (c.state().isSettingUp()) {
      closes.race(
          RacePattern.CLOSE_DURING_INITIALIZATION, c, "closed with " + code + " in " + c.state());
    }
    synchronized (c) {
      // Ended first, under the monitor that set-up publishes under: no step can add the
      // connection to a lookup after it is forgotten below.
      if (c.state() != ConnectionState.FAILED) {
        closes.transition(c, new ConnectionEvent.Closed(code));
      }
      c.closeCode(code);
    }
    if (registry.closed(socket.getId()).isEmpty()) {
      return; // closed twice
    }
    c.outbound().abort();
    var summary = c.summary();
    // The session outlives its connection (PROTOCOL section 6): detached, its retention runs, its
    // runs go on. Unless a newer connection took it over, in which case nothing changes.
    c.session().ifPresent(s -> c.id().ifPresent(id -> s.detach(id, System.nanoTime())));
    lifecycle.fire(new ConnectionLifecycle.Closed(summary.connectionId(), code, summary));
    // After the announcement: whoever sees the close in diagnostics sees it counted too.
    registry.remember(summary);
  }

  /**
   * An error reported by the container. A client that went away (reset, end of stream in the middle
   * of a frame) is not a defect: logged at debug, and its close follows. Anything else is a defect,
   * logged with an incident id beside its stack trace, then closed with 1011 (G5).
   */
  public void failed(Session socket, Throwable error) {
    Optional<Connection> c = registry.bySocket(socket.getId());
    String who = c.map(Connection::logId).orElse("socket-" + socket.getId());
    if (ClientGone.test(error)) {
      LOG.log(Level.DEBUG, "client of {0} went away: {1}", who, error.toString());
      return;
    }
    if (c.isPresent()) {
      closes.defect(c.get(), "container error", error);
    } else {
      LOG.log(Level.ERROR, "incident " + ClosePolicy.incident() + " on " + who, error);
    }
  }

  /** A session's last run ended: its connection is READY again, unless a run started meanwhile. */
  void runsEnded(@Observes RunsEnded ended) {
    registry
        .bySession(ended.sessionId())
        .ifPresent(
            c -> {
              synchronized (c) {
                if (c.state() == ConnectionState.PROCESSING
                    && runs.inFlight(ended.sessionId()) == 0) {
                  closes.transition(c, new ConnectionEvent.RunsIdle());
                  lifecycle.fire(new ConnectionLifecycle.RunsIdle(c.logId(), ended.sessionId()));
                }
              }
            });
  }

  /**
   * A send failed: the transport is broken (the peer went away under the send). Closed as going
   * away, 1001 (RFC 6455 section 7.4.1); not 1000, which means a normal close.
   */
  private void sendFailed(String socketId, Throwable failure) {
    registry
        .bySocket(socketId)
        .ifPresent(
            c -> {
              LOG.log(Level.DEBUG, "send to {0} failed: {1}", c.logId(), failure.toString());
              closes.close(c, CloseCode.IDLE, "going away: send failed", false);
            });
  }

  public ConnectionRegistry registry() {
    return registry;
  }

  private static String first(java.util.List<String> values) {
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /**
   * Drains every live connection (PROTOCOL section 9): one still setting up is closed with 1013 (it
   * has had no {@code ready}, so it cannot be told {@code draining}); a ready one becomes DRAINING
   * and gets its slot from {@code schedule}: the sweeper closes it then if it has no run in flight,
   * else when its runs end, and at the grace at the latest ({@link #drainIfDue}).
   *
   * @return how many connections the drain closes
   */
  public int drain(DrainSchedule schedule) {
    int draining = 0;
    long now = System.nanoTime();
    for (Connection c : registry.live()) {
      boolean ready;
      synchronized (c) {
        if (c.state().isEnding()) {
          continue;
        }
        ready = c.state().isReady();
        if (ready) {
          closes.transition(c, new ConnectionEvent.DrainStarted());
          c.drainAt(schedule, now, schedule.slot(), schedule.reconnectAfterMs());
        }
      }
      if (!ready) {
        closes.close(c, CloseCode.NOT_READY, CloseCode.NOT_READY.reason("draining"), false);
      }
      draining++;
    }
    return draining;
  }

  /** A draining connection whose time has come gets {@code draining}, then 1012 behind it. */
  private void drainIfDue(Connection c) {
    if (c.state() != ConnectionState.DRAINING) {
      return;
    }
    boolean busy = c.session().map(s -> runs.inFlight(s.id()) > 0).orElse(false);
    if (c.drainDue(busy)) {
      delivery.send(c, encoder.encode(new ServerMessage.Draining(c.reconnectAfterMs())));
      closes.close(c, CloseCode.DRAINING, CloseCode.DRAINING.reason(), true);
    }
  }

  /** How a ready connection takes its session over, and the replay after a resume. */
  private final class Feeds implements ReadyGate.Feeds {

    @Override
    public StreamSession.Subscriber subscriber(Connection c) {
      String holder = c.id().orElseThrow();
      // Published as the session's connection before it attaches: a run that ends between the
      // attach and ready finds this connection (under whose monitor we are) and re-checks.
      registry.holds(c, c.session().orElseThrow().id());
      return new StreamSession.Subscriber() {
        @Override
        public String holder() {
          return holder;
        }

        @Override
        public void send(String text) {
          delivery.send(c, text);
        }

        @Override
        public boolean offer(String text) {
          return delivery.replay(c, text, () -> work.execute(() -> replay(c)));
        }

        @Override
        public void fellBehind() {
          // The log's bounds overtook the replay: the client resumes, and its ready names the gap.
          work.execute(
              () -> closes.close(c, CloseCode.TOO_SLOW, CloseCode.TOO_SLOW.reason(), false));
        }
      };
    }

    @Override
    public void attached(Connection c, SessionGrant grant, StreamSession.Attached attached) {
      String sessionId = grant.session().id();
      String self = c.id().orElseThrow();
      attached
          .superseded()
          .filter(previous -> !previous.equals(self))
          .ifPresent(previous -> work.execute(() -> supersede(previous, c)));
      if (grant.resumed() || grant.refused().isPresent()) {
        ResumeOutcome outcome =
            grant
                .refused()
                .orElse(attached.gap().isPresent() ? ResumeOutcome.GAP : ResumeOutcome.RESUMED);
        lifecycle.fire(new ConnectionLifecycle.Resumed(c.logId(), sessionId, outcome.wireName()));
      }
    }

    @Override
    public void replay(Connection c) {
      int replayed = c.session().map(s -> s.pull(c.id().orElseThrow())).orElse(0);
      if (replayed > 0) {
        lifecycle.fire(new ConnectionLifecycle.Replayed(c.logId(), replayed));
      }
    }
  }

  /** A connection on another member of the cluster resumed this one's session: 4509. */
  void supersededElsewhere(@Observes ClusterNotice.Superseded notice) {
    registry
        .byId(notice.connectionId())
        .ifPresent(
            old ->
                work.execute(
                    () -> {
                      closes.race(
                          RacePattern.SESSION_SUPERSEDED,
                          old,
                          "session resumed on another instance");
                      closes.close(old, CloseCode.SUPERSEDED, CloseCode.SUPERSEDED.reason(), false);
                    }));
  }

  /** An event stored on another member is missing here: the connection catches up from the log. */
  void behind(@Observes ClusterNotice.Behind notice) {
    registry.byId(notice.connectionId()).ifPresent(c -> work.execute(() -> feeds.replay(c)));
  }

  /** The session was resumed by {@code by}: its previous connection closes with 4509. */
  private void supersede(String previousId, Connection by) {
    registry
        .byId(previousId)
        .ifPresent(
            old -> {
              closes.race(RacePattern.SESSION_SUPERSEDED, old, "session resumed by " + by.logId());
              closes.close(old, CloseCode.SUPERSEDED, CloseCode.SUPERSEDED.reason(), false);
            });
  }
}
