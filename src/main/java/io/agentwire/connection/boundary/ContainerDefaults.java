package io.agentwire.connection.boundary;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.server.ServerContainer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * The WebSocket container's defaults for every session of the WAR, set once at deployment.
 *
 * <p>The idle timeout is off as -1, not as the default 0. Tyrus 2.2.2 (Payara Micro 7.2026.11)
 * reschedules its idle task for every frame in and out, and once when each session is made, unless
 * the timeout is negative: {@code TyrusSession.restartIdleTimeoutExecutor} tests {@code
 * maxIdleTimeout < 0}, not {@code < 1}, so with 0 it schedules an {@code IdleTimeoutCommand} with
 * delay 0 each time, which then does nothing (it closes only for a positive timeout). On Payara the
 * scheduler is a managed executor that captures the thread context for each task with a
 * ServiceLoader lookup over the WAR: 28% of the server's CPU samples in a ping/pong profile, and
 * the round trips per second tripled without it (BENCHMARKS.md). In Jakarta WebSocket zero and
 * negative both mean no timeout. agentwire's own idle close (PROTOCOL section 5) is the sweeper's;
 * {@code TyrusSession}'s constructor reads this default ({@code getDefaultMaxSessionIdleTimeout}),
 * so no session ever schedules the task.
 *
 * <p>Tyrus's incoming buffer (the servlet context parameter {@code
 * org.glassfish.tyrus.servlet.incoming-buffer-size}, 4 MiB by default, read at every upgrade by
 * {@code TyrusServletUpgrade}) is set to the largest frame {@link GuardedUpgradeHandler} lets
 * through: one message of {@code agentwire.limits.max-message-bytes} and its header. A larger frame
 * never reaches Tyrus; a smaller buffer would refuse a frame within the limit (with 1011 "Buffer
 * overflow.").
 */
@WebListener
public class ContainerDefaults implements ServletContextListener {

  static final String INCOMING_BUFFER = "org.glassfish.tyrus.servlet.incoming-buffer-size";
  private static final int MAX_FRAME_HEADER = 14;

  @jakarta.inject.Inject io.agentwire.connection.control.ConnectionSettings settings;

  /** The message limit: the settings' in the container, a given one in tests. */
  java.util.function.IntSupplier maxMessageBytes = () -> settings.maxMessageBytes();

  static final long NO_IDLE_TIMEOUT = -1;
  private static final Logger LOG = System.getLogger("agentwire.connection");

  @Override
  public void contextInitialized(ServletContextEvent event) {
    Object container = event.getServletContext().getAttribute(ServerContainer.class.getName());
    if (container instanceof ServerContainer server) {
      server.setDefaultMaxSessionIdleTimeout(NO_IDLE_TIMEOUT);
    } else {
      LOG.log(Level.WARNING, "no WebSocket server container in the servlet context: " + container);
    }
    String buffer = Integer.toString(maxMessageBytes.getAsInt() + MAX_FRAME_HEADER);
    if (!event.getServletContext().setInitParameter(INCOMING_BUFFER, buffer)) {
      LOG.log(
          Level.WARNING,
          INCOMING_BUFFER
              + " is set already ("
              + event.getServletContext().getInitParameter(INCOMING_BUFFER)
              + "); frames up to "
              + buffer
              + " bytes need that much");
    }
  }
}
