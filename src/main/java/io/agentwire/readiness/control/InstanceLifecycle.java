package io.agentwire.readiness.control;

import io.agentwire.readiness.entity.Strictness;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * This instance's own readiness, apart from any connection's: has it started, is it draining, and
 * why it refuses to start if it does.
 */
@ApplicationScoped
public class InstanceLifecycle {

  private static final Logger LOG = System.getLogger("agentwire.readiness");

  @Inject ReadinessSettings readiness;

  private volatile boolean started;
  private volatile boolean draining;
  private volatile String refusal;

  /**
   * Refuses to start, for good, with the reason in {@code /health/started} and the log. Components
   * that find the configuration unusable say so before {@link #boot} (their observers of the same
   * event have a lower priority).
   */
  public void refuse(String why) {
    if (refusal == null) {
      refusal = why;
    }
  }

  void boot(
      @Observes
          @Priority(Interceptor.Priority.APPLICATION + 500)
          @Initialized(ApplicationScoped.class)
          Object application) {
    Strictness strictness = readiness.strictness();
    if (refusal != null) {
      LOG.log(Level.ERROR, "agentwire not started: {0}", refusal);
      return;
    }
    started = true;
    LOG.log(
        Level.INFO,
        "agentwire started: strictness {0}, deadline {1}",
        strictness.name().toLowerCase(),
        readiness.deadline());
  }

  /** Why the instance takes no new connection now, if it does not: starting or draining. */
  public Optional<String> refusesConnections() {
    if (!started) {
      return Optional.of("starting");
    }
    return draining ? Optional.of("draining") : Optional.empty();
  }

  public boolean started() {
    return started;
  }

  public Optional<String> refusal() {
    return Optional.ofNullable(refusal);
  }

  public boolean draining() {
    return draining;
  }

  public void drain() {
    draining = true;
  }
}
