package io.agentwire.drain.control;

import io.agentwire.connection.control.Connections;
import io.agentwire.connection.control.DrainSchedule;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.readiness.control.InstanceLifecycle;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The drain of this instance (PROTOCOL section 9), begun by SIGTERM or {@code POST
 * /api/admin/drain}: readiness goes DOWN first, new connections are refused with 1013, and every
 * live connection is closed on the {@link DrainSchedule} ({@code draining}, then 1012). The drain
 * is over when no connection is left, or {@link #CLOSE_MARGIN} after the grace at the latest (for a
 * client that never answers the close); whoever began it then lets the process exit.
 */
@ApplicationScoped
public class Drainer {

  /** How long closes may take to complete after the last slot (the grace) before the drain ends. */
  static final Duration CLOSE_MARGIN = Duration.ofSeconds(2);

  private static final Logger LOG = System.getLogger("agentwire.drain");

  @Inject InstanceLifecycle instance;
  @Inject Connections connections;

  @Inject
  @ConfigProperty(name = "agentwire.drain.spread")
  Duration spread;

  @Inject
  @ConfigProperty(name = "agentwire.drain.grace")
  Duration grace;

  @Resource ManagedScheduledExecutorService scheduler;

  private final CompletableFuture<Duration> drained = new CompletableFuture<>();
  private volatile long startedNanos;
  private volatile int total;
  private boolean started;
  private ScheduledFuture<?> watching;

  /**
   * Made at start, on a container thread: SIGTERM arrives on a thread of the JDK's, where the
   * container injects no resources (the scheduler was null when this bean was first made there).
   */
  void boot(@Observes @Initialized(ApplicationScoped.class) Object application) {
    LOG.log(Level.DEBUG, "drain: spread {0}, grace {1}", spread, grace);
  }

  /**
   * Begins the drain, once; a later call changes nothing.
   *
   * @param why who asked, for the log ({@code SIGTERM}, {@code POST /api/admin/drain})
   * @return the number of connections the drain closes (the first call's)
   */
  public synchronized int start(String why) {
    if (started) {
      return total;
    }
    started = true;
    startedNanos = System.nanoTime();
    instance.drain(); // readiness DOWN before the first close
    total = connections.drain(new DrainSchedule(spread, grace, new SplittableRandom()));
    LOG.log(
        Level.INFO,
        "draining ({0}): {1} connections, spread {2}, grace {3}",
        why,
        total,
        spread,
        grace);
    watching = scheduler.scheduleWithFixedDelay(this::check, 100, 100, TimeUnit.MILLISECONDS);
    check();
    return total;
  }

  void closed(@Observes ConnectionLifecycle.Closed closed) {
    if (startedNanos != 0) {
      check();
    }
  }

  private void check() {
    if (drained.isDone() || startedNanos == 0) {
      return;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    int left = connections.registry().size();
    if (left == 0 || took.compareTo(grace.plus(CLOSE_MARGIN)) >= 0) {
      if (drained.complete(took)) {
        LOG.log(
            Level.INFO,
            "drained in {0} ms: {1} of {2} connections closed, {3} left",
            took.toMillis(),
            total - left,
            total,
            left);
        ScheduledFuture<?> w = watching;
        if (w != null) {
          w.cancel(false);
        }
      }
    }
  }

  /** Waits, at most {@code max}, for the drain to end; true if it ended. */
  public boolean awaitDrained(Duration max) throws InterruptedException {
    try {
      drained.get(max.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The longest a drain can take: the grace, then the margin for the last closes. */
  public Duration longest() {
    return grace.plus(CLOSE_MARGIN);
  }

  public boolean draining() {
    return startedNanos != 0;
  }

  /** Connections the drain has still to close (0 when not draining). */
  public int remaining() {
    return startedNanos == 0 ? 0 : connections.registry().size();
  }

  /** Connections the drain began with. */
  public int total() {
    return total;
  }

  @PreDestroy
  void stop() {
    ScheduledFuture<?> w = watching;
    if (w != null) {
      w.cancel(false);
    }
  }
}
