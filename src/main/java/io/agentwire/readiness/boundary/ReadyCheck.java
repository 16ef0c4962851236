package io.agentwire.readiness.boundary;

import io.agentwire.readiness.control.Instance;
import io.agentwire.security.control.TokenVerifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready to take new connections: started, not draining, and token verification available. */
@Readiness
@ApplicationScoped
public class ReadyCheck implements HealthCheck {

  @Inject Instance instance;
  @Inject TokenVerifier verifier;

  @Override
  public HealthCheckResponse call() {
    boolean up = instance.started() && !instance.draining() && verifier.problem().isEmpty();
    return HealthCheckResponse.named("agentwire-ready")
        .status(up)
        .withData("started", instance.started())
        .withData("draining", instance.draining())
        .withData("token-verification", verifier.problem().isEmpty())
        .build();
  }
}
