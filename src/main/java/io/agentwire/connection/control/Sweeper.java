package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The one timer of all connections: every {@link #TICK} it walks the registry and acts on what is
 * due: the set-up deadline (G4), delayed set-up steps, token expiry (4401), heartbeat pings, the
 * idle close (1001, PROTOCOL section 5) and forced 4408 closes. A connection is reachable from here
 * only while the registry holds it, so nothing scheduled outlives a connection; a cancelled task in
 * a scheduled executor would stay queued, holding what it captured, until its delay passed
 * (ScheduledThreadPoolExecutor without setRemoveOnCancelPolicy, which managed executors do not
 * expose), and the token-expiry timer was an hour ahead.
 *
 * <p>The container's own idle timeout stays off (-1, see {@code ContainerDefaults}), deliberately:
 * it closes with 1000, and raising it from 0 races Tyrus's idle task. TyrusSession schedules an
 * IdleTimeoutCommand with delay 0 while the timeout is 0; that command closes the session if the
 * timeout is positive when it finally runs ({@code TyrusSession.IdleTimeoutCommand}, {@code
 * restartIdleTimeoutExecutor}, Tyrus 2.1.5). Under load the stale command ran after {@code
 * setMaxIdleTimeout} and closed healthy new connections as "idle" (seen in the 200-connection IT).
 */
public final class Sweeper implements Runnable {

  /** How often the registry is swept: the resolution of every deadline above. */
  public static final Duration TICK = Duration.ofMillis(100);

  private static final Logger LOG = System.getLogger("agentwire.connection");

  private final ConnectionRegistry registry;
  private final ClosePolicy closes;
  private final Consumer<Connection> deadlinePassed;
  private final Consumer<Connection> servicesDue;
  private final Consumer<Connection> drainDue;
  private final Executor executor;
  private final Clock clock;
  private final Duration deadline;
  private final Duration heartbeat;
  private final Duration skew;

  /**
   * @param deadlinePassed asked for the verdict of a connection not ready by the deadline
   * @param servicesDue runs the set-up steps that fault injection held back
   * @param executor where due set-up steps run, off the sweeping thread
   * @param drainDue closes a draining connection whose drain time has come
   */
  public Sweeper(
      ConnectionRegistry registry,
      ClosePolicy closes,
      Consumer<Connection> deadlinePassed,
      Consumer<Connection> servicesDue,
      Consumer<Connection> drainDue,
      Executor executor,
      Clock clock,
      Duration deadline,
      Duration heartbeat,
      Duration skew) {
    this.registry = registry;
    this.closes = closes;
    this.deadlinePassed = deadlinePassed;
    this.servicesDue = servicesDue;
    this.drainDue = drainDue;
    this.executor = executor;
    this.clock = clock;
    this.deadline = deadline;
    this.heartbeat = heartbeat;
    this.skew = skew;
  }

  /**
   * One sweep. Never throws: a periodic task that throws is never run again, which would stop every
   * heartbeat; a connection whose check throws is closed as a defect and the sweep goes on.
   */
  @Override
  public void run() {
    for (Connection c : registry.each()) {
      try {
        sweep(c);
      } catch (RuntimeException | Error e) {
        try {
          closes.defect(c, "sweep failed", e);
        } catch (RuntimeException | Error again) {
          LOG.log(Level.ERROR, "sweep of " + c.logId() + " failed twice", again);
        }
      }
    }
  }

  void sweep(Connection c) {
    c.settle();
    c.forcedCloseDue().ifPresent(Runnable::run);
    if (c.state().isEnding()) {
      return;
    }
    if (c.servicesDue()) {
      executor.execute(() -> servicesDue.accept(c));
    }
    if (!c.state().isReady() && c.sinceOpen().compareTo(deadline) >= 0) {
      deadlinePassed.accept(c);
      if (c.state().isEnding()) {
        return;
      }
    }
    drainDue.accept(c);
    if (c.state().isEnding()) {
      return;
    }
    if (c.tokenExpired(clock.instant(), skew)) {
      closes.close(c, CloseCode.UNAUTHORIZED, Delivery.tokenExpired(), false);
      return;
    }
    if (c.silence().compareTo(heartbeat.multipliedBy(2)) >= 0) {
      closes.close(c, CloseCode.IDLE, CloseCode.IDLE.reason(), false);
      return;
    }
    if (c.sincePing().compareTo(heartbeat) >= 0) {
      c.pinged();
      try {
        c.socket().ping();
      } catch (IOException | IllegalStateException e) {
        LOG.log(Level.DEBUG, "ping to {0} failed: {1}", c.logId(), e.toString());
      }
    }
  }
}
