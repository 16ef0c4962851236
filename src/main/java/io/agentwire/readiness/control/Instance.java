package io.agentwire.readiness.control;

import io.agentwire.readiness.entity.Strictness;
import io.agentwire.security.control.TokenVerifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * This instance's own readiness, apart from any connection's: has it started, is it draining, and
 * why it refuses to start if it does.
 */
@ApplicationScoped
public class Instance {

  private static final Logger LOG = System.getLogger("agentwire.readiness");

  @Inject ReadinessSettings readiness;
  @Inject TokenVerifier verifier;

  private volatile boolean started;
  private volatile boolean draining;
  private volatile String refusal;

  void boot(@Observes @Initialized(ApplicationScoped.class) Object application) {
    Strictness strictness = readiness.strictness();
    if (verifier.problem().isPresent()) {
      refusal = "token verification unavailable: " + verifier.problem().get();
    } else if (strictness.forbidsDevelopmentKey() && verifier.usesDevelopmentKey()) {
      refusal =
          "strictness "
              + strictness.name().toLowerCase()
              + " refuses the development key as verification key; configure the real public key";
    }
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
