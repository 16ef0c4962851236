package io.agentwire.security.boundary;

import io.agentwire.readiness.control.InstanceLifecycle;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.readiness.entity.Strictness;
import io.agentwire.security.control.TokenVerifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Token verification is available: ready only with a usable verification key. At boot, before the
 * instance starts, it refuses the start for good when there is no key, or when the strictness
 * forbids the development key and that is the key configured (PROTOCOL section 7). Creating the
 * verifier here, on the deployment thread, also means no probe creates it first: until then the
 * check answers DOWN ("starting") without touching it. Payara serves {@code /health} while the WAR
 * is still deploying, and a probe then made the verifier on an HTTP thread, where the WAR's {@code
 * META-INF/microprofile-config.properties} was not visible: the development profile's key was
 * missing and every token was refused for good (seen with a curl loop on {@code /health/ready} from
 * the first second, README Decisions).
 */
@Readiness
@ApplicationScoped
public class TokenVerificationCheck implements HealthCheck {

  @Inject TokenVerifier verifier;
  @Inject ReadinessSettings readiness;
  @Inject InstanceLifecycle instance;

  private volatile boolean guarded;

  void guard(
      @Observes @Priority(Interceptor.Priority.APPLICATION) @Initialized(ApplicationScoped.class)
          Object application) {
    Strictness strictness = readiness.strictness();
    if (verifier.problem().isPresent()) {
      instance.refuse("token verification unavailable: " + verifier.problem().get());
    } else if (strictness.forbidsDevelopmentKey() && verifier.usesDevelopmentKey()) {
      instance.refuse(
          "strictness "
              + strictness.name().toLowerCase()
              + " refuses the development key as verification key; configure the real public key");
    }
    guarded = true;
  }

  @Override
  public HealthCheckResponse call() {
    if (!guarded) {
      return HealthCheckResponse.named("agentwire-token-verification")
          .down()
          .withData("problem", "starting")
          .build();
    }
    return HealthCheckResponse.named("agentwire-token-verification")
        .status(verifier.problem().isEmpty())
        .withData("problem", verifier.problem().orElse("none"))
        .build();
  }
}
