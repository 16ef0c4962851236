package io.agentwire.drain.boundary;

import io.agentwire.drain.control.Drainer;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Makes SIGTERM drain first, then exit. Why a signal handler and not a shutdown hook, a {@code
 * ServletContextListener} or {@code @PreDestroy}: on SIGTERM the JVM's default handler ({@code
 * java.lang.Terminator}) calls {@code Shutdown.exit(143)}, which starts every shutdown hook at once
 * and in no order. Payara Micro's own hook ({@code PayaraMicroImpl.addShutdownHook}: {@code
 * gf.stop(); gf.dispose()}) then runs {@code AppServerStartup.stop}: the application is stopped
 * (run level 15, {@code ApplicationLoaderService.preDestroy}), where {@code StandardContext.stop}
 * destroys Tyrus's filter ({@code TyrusServletFilter.destroy}: sessions closed with 1006, 1000 on
 * the wire) before any {@code contextDestroyed}, and Weld's {@code @Destroyed} and
 * {@code @PreDestroy} come after that; then Grizzly's listeners are shut down ({@code
 * GrizzlyService.preDestroy}: every TCP connection left drops, 1006 for the client). Hazelcast's
 * own hook ("hz.ShutdownThread", policy TERMINATE) runs beside all of it. Anything of ours that
 * runs inside that sequence runs too late. (Payara main 7e1dd6a9 and Tyrus 2.x, read for this
 * change; Payara itself installs no signal handler.)
 *
 * <p>So the application replaces the TERM handler ({@code sun.misc.Signal}, exported by the JDK's
 * {@code jdk.unsupported} module): no shutdown hook starts until the drain is over, then {@code
 * System.exit(143)} (the status the default handler would have used) runs Payara's normal shutdown,
 * which finds no connection left. The JDK runs each signal on a new thread ({@code
 * jdk.internal.misc.Signal.dispatch}), so waiting there blocks nothing else; a second SIGTERM while
 * draining is ignored. SIGINT (Ctrl-C) keeps the default: a developer's server stops at once. The
 * previous handler is put back when the application stops without the JVM exiting (an undeploy).
 * With {@code -Xrs} the JVM refuses signal handlers: logged, and SIGTERM then stops the server
 * without a drain.
 */
@ApplicationScoped
public class Termination {

  private static final Logger LOG = System.getLogger("agentwire.drain");

  /** 128 + SIGTERM's number: what the JVM exits with on SIGTERM by default. */
  static final int SIGTERM_STATUS = 143;

  @Inject Drainer drainer;

  private final AtomicBoolean exiting = new AtomicBoolean();
  private volatile SignalHandler previous;
  private volatile SignalHandler installed;

  void install(
      @Observes @Priority(Interceptor.Priority.APPLICATION) @Initialized(ApplicationScoped.class)
          Object application) {
    SignalHandler mine = this::terminated;
    try {
      previous = Signal.handle(new Signal("TERM"), mine);
      installed = mine;
      LOG.log(Level.DEBUG, "SIGTERM drains the instance before Payara's shutdown");
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.log(
          Level.WARNING,
          "SIGTERM cannot be handled ({0}): a SIGTERM stops the server without draining;"
              + " drain with POST /api/admin/drain first",
          e.toString());
    }
  }

  void uninstall(@Observes @BeforeDestroyed(ApplicationScoped.class) Object application) {
    SignalHandler mine = installed;
    SignalHandler before = previous;
    if (mine != null && before != null && !exiting.get()) {
      try {
        SignalHandler current = Signal.handle(new Signal("TERM"), before);
        if (current != mine) {
          Signal.handle(new Signal("TERM"), current); // someone else's since: leave theirs
        }
      } catch (IllegalArgumentException e) {
        LOG.log(Level.DEBUG, "SIGTERM handler not restored: {0}", e.toString());
      }
    }
  }

  private void terminated(Signal signal) {
    if (exiting.get()) {
      LOG.log(Level.INFO, "SIGTERM again while draining: ignored, the drain goes on");
      return;
    }
    try {
      drainer.start("SIGTERM");
    } finally {
      exitWhenDrained(SIGTERM_STATUS); // a drain that failed must not keep the process alive
    }
  }

  /**
   * Once the drain is over (at most {@link Drainer#longest()}), exits the process with {@code
   * status}, on a thread of its own: {@code System.exit} runs the shutdown hooks and never returns,
   * and a container thread blocked in it would hold up Payara's shutdown. Once per process.
   */
  public void exitWhenDrained(int status) {
    if (!exiting.compareAndSet(false, true)) {
      return;
    }
    Thread exit =
        new Thread(
            () -> {
              try {
                if (!drainer.awaitDrained(drainer.longest().plusSeconds(1))) {
                  LOG.log(Level.WARNING, "drain did not end in time; exiting anyway");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              LOG.log(Level.INFO, "drained: exiting with status {0}", status);
              System.exit(status);
            },
            "agentwire-drain-exit");
    exit.setDaemon(false);
    exit.start();
  }
}
