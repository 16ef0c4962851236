package io.agentwire.readiness.boundary;

import io.agentwire.readiness.control.InstanceLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready to take new connections: started and not draining. The services set-up needs report their
 * own readiness beside it (token verification: {@code agentwire-token-verification}).
 */
@Readiness
@ApplicationScoped
public class ReadyCheck implements HealthCheck {

  @Inject InstanceLifecycle instance;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("agentwire-ready")
        .status(instance.started() && !instance.draining())
        .withData("started", instance.started())
        .withData("draining", instance.draining())
        .build();
  }
}
