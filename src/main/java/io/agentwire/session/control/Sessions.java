package io.agentwire.session.control;

import io.agentwire.readiness.control.InstanceLifecycle;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.session.entity.SessionEnded;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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

  @Inject Event<SessionEnded> ended;
  @Inject ReadinessSettings readiness;
  @Inject InstanceLifecycle instance;

  @Resource ManagedScheduledExecutorService scheduler;

  private SessionTable table;
  private ScheduledFuture<?> sweeping;

  @PostConstruct
  void init() {
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

  @PreDestroy
  void stop() {
    if (sweeping != null) {
      sweeping.cancel(false);
    }
  }

  /** Never throws: a periodic task that throws is never run again, and nothing would expire. */
  private void sweep() {
    try {
      table.sweep();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.ERROR, "session sweep failed", e);
    }
  }

  @Override
  public SessionGrant request(SessionRequest request) {
    return table.request(request);
  }

  @Override
  public Optional<StreamSession> find(String id) {
    return table.find(id);
  }

  @Override
  public Collection<StreamSession> all() {
    return table.all();
  }

  @Override
  public int count() {
    return table.size();
  }

  @Override
  public long attached() {
    return table.attached();
  }

  public Duration retention() {
    return retention;
  }
}
