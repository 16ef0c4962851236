package io.agentwire.session.control;

import com.hazelcast.core.HazelcastInstance;
import io.agentwire.readiness.control.InstanceLifecycle;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.session.entity.ClusterInfo;
import io.agentwire.session.entity.ClusterNotice;
import io.agentwire.session.entity.SessionEnded;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The local directory of sessions: this instance's sessions in memory ({@link SessionTable}), each
 * with a log bounded by {@code agentwire.session.max-events} and {@code
 * agentwire.session.max-bytes}, kept for {@code agentwire.session.retention} after its last
 * connection closed. Expired sessions are announced ({@link SessionEnded}) so that their runs are
 * cancelled.
 */
@ApplicationScoped
public class Sessions implements SessionDirectory {

  /** Where Payara publishes its data grid's {@code HazelcastInstance} (Payara's documentation). */
  static final String HAZELCAST = "payara/Hazelcast";

  private static final Logger LOG = System.getLogger("agentwire.session");

  @Inject
  @ConfigProperty(name = "agentwire.session.max-events", defaultValue = "1000")
  int maxEvents;

  @Inject
  @ConfigProperty(name = "agentwire.session.max-bytes", defaultValue = "4194304")
  long maxBytes;

  @Inject
  @ConfigProperty(name = "agentwire.session.retention", defaultValue = "PT2M")
  Duration retention;

  @Inject
  @ConfigProperty(name = "agentwire.session.max-per-subject", defaultValue = "32")
  int maxPerSubject;

  /**
   * Within this time of an instance's death another member ends its runs {@code instance_lost}
   * (PROTOCOL section 6). Hazelcast removes a silent member after {@code
   * hazelcast.max.no.heartbeat.seconds}, a system property set before the grid starts ({@code
   * payara-config/cluster.properties}); the instance warns when that is not shorter.
   */
  @Inject
  @ConfigProperty(name = "agentwire.cluster.member-timeout", defaultValue = "PT30S")
  Duration memberTimeout;

  @Inject Event<SessionEnded> ended;
  @Inject ReadinessSettings readiness;
  @Inject InstanceLifecycle instance;

  @Inject Event<ClusterNotice> notices;

  @Resource ManagedScheduledExecutorService scheduler;
  @Resource ManagedThreadFactory threads;

  private SessionTable table;
  private GridSessions grid;
  private ExecutorService busThread;
  private ScheduledFuture<?> sweeping;

  @PostConstruct
  void init() {
    Optional<HazelcastInstance> hz = clusteredGrid();
    if (hz.isPresent()) {
      // One thread, so that the bus's messages of one sender are handled in their order.
      busThread = Executors.newSingleThreadExecutor(threads);
      grid =
          new GridSessions(
              hz.get(),
              maxEvents,
              retention,
              new SecureRandom(),
              busThread,
              new GridSessions.Listener() {
                @Override
                public void superseded(String connectionId, String sessionId) {
                  notices.fire(new ClusterNotice.Superseded(connectionId, sessionId));
                }

                @Override
                public void cancel(String sessionId, String runId) {
                  notices.fire(new ClusterNotice.Cancel(sessionId, runId));
                }

                @Override
                public void expired(String sessionId) {
                  ended.fire(new SessionEnded(sessionId));
                }

                @Override
                public void behind(StreamSession session, String holder) {
                  notices.fire(new ClusterNotice.Behind(holder, session.id()));
                }
              });
      LOG.log(
          Level.INFO,
          "sessions live in the data grid (cluster member "
              + grid.member()
              + ", "
              + hz.get().getCluster().getMembers().size()
              + " member(s) now)");
      long detection = grid.failureDetectionSeconds();
      // The sweep that ends a lost member's runs comes at most a tick (1 s) after its removal.
      if (detection + 1 >= memberTimeout.toSeconds()) {
        LOG.log(
            Level.WARNING,
            "Hazelcast removes a silent member after "
                + detection
                + " s (hazelcast.max.no.heartbeat.seconds), so the runs of an instance that dies"
                + " without closing its connections end later than agentwire.cluster.member-timeout"
                + " ("
                + memberTimeout
                + "): start Payara Micro with --systemproperties payara-config/cluster.properties");
      }
    }
    table =
        new SessionTable(
            maxEvents,
            maxBytes,
            retention,
            maxPerSubject,
            System::nanoTime,
            new SecureRandom(),
            s -> ended.fire(new SessionEnded(s.id())));
    // Expiry is as precise as a tenth of the retention, at most a second late.
    long tick = Math.max(100, Math.min(1000, retention.toMillis() / 10));
    sweeping = scheduler.scheduleWithFixedDelay(this::sweep, tick, tick, TimeUnit.MILLISECONDS);
  }

  /**
   * A session granted at set-up is held from {@code ready} on; set-up may take the readiness
   * deadline (plus the fault-injection delay). A retention no longer than that could expire a
   * session between the grant and {@code ready}: the instance refuses to start with it.
   */
  void check(
      @Observes
          @Priority(Interceptor.Priority.APPLICATION + 100)
          @Initialized(ApplicationScoped.class)
          Object application) {
    Duration setUp = readiness.deadline().plus(readiness.initDelay());
    if (retention.compareTo(setUp) <= 0) {
      instance.refuse(
          "agentwire.session.retention ("
              + retention
              + ") must be longer than the readiness deadline plus agentwire.chaos.init-delay ("
              + setUp
              + ")");
    }
  }

  /**
   * Payara's data grid when this instance clusters (the {@code --clustermode} flags), none with
   * {@code --nocluster} (Hazelcast then runs alone, its joins off) or {@code --nohazelcast} (no
   * instance is bound).
   */
  private static Optional<HazelcastInstance> clusteredGrid() {
    try {
      Object found = new InitialContext().lookup(HAZELCAST);
      if (found instanceof HazelcastInstance hz
          && hz.getLifecycleService().isRunning()
          && GridSessions.clustered(hz)) {
        return Optional.of(hz);
      }
    } catch (NamingException | RuntimeException e) {
      LOG.log(Level.DEBUG, "no data grid: " + e);
    }
    return Optional.empty();
  }

  @PreDestroy
  void stop() {
    if (sweeping != null) {
      sweeping.cancel(false);
    }
    if (grid != null) {
      grid.stop();
      busThread.shutdown();
    }
  }

  /** Whether sessions live in the data grid, shared by a cluster. */
  public boolean clustered() {
    return grid != null;
  }

  /** Never throws: a periodic task that throws is never run again, and nothing would expire. */
  private void sweep() {
    try {
      if (grid != null) {
        grid.sweep();
      }
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "cluster session sweep failed (retried next tick): " + e, e);
    }
    try {
      table.sweep();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.ERROR, "session sweep failed", e);
    }
  }

  @Override
  public SessionGrant request(SessionRequest request) {
    return grid != null ? grid.request(request) : table.request(request);
  }

  @Override
  public Optional<StreamSession> find(String id) {
    return grid != null ? grid.find(id) : table.find(id);
  }

  @Override
  public Collection<StreamSession> all() {
    return grid != null ? grid.all() : table.all();
  }

  @Override
  public int count() {
    return grid != null ? grid.count() : table.size();
  }

  @Override
  public long attached() {
    return grid != null ? grid.attached() : table.attached();
  }

  @Override
  public Optional<ClusterInfo> cluster() {
    return grid == null ? Optional.empty() : Optional.of(grid.info());
  }

  @Override
  public boolean cancelElsewhere(String sessionId, String runId) {
    return grid != null && grid.cancelElsewhere(sessionId, runId);
  }

  public Duration retention() {
    return retention;
  }
}
