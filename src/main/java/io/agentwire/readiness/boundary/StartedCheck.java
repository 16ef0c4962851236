package io.agentwire.readiness.boundary;

import io.agentwire.readiness.control.InstanceLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started: the endpoint and its configuration are in place and the verification key loaded. */
@Startup
@ApplicationScoped
public class StartedCheck implements HealthCheck {

  @Inject InstanceLifecycle instance;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("agentwire-started")
        .status(instance.started())
        .withData("refusal", instance.refusal().orElse("none"))
        .build();
  }
}
