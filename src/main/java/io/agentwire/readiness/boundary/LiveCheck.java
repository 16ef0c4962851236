package io.agentwire.readiness.boundary;

import io.agentwire.readiness.control.ExecutorWatch;
import io.agentwire.readiness.control.ExecutorWatches;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * Alive: each executor agentwire runs work on (connection set-up, agent runs) makes progress. Read
 * from counters, in-process facts only: it submits nothing, so a storm of set-ups cannot hold the
 * probe, and it never looks at connections, clients or the cluster.
 */
@Liveness
@ApplicationScoped
public class LiveCheck implements HealthCheck {

  /** Tasks waiting this long with none started: the executor is stuck, restart the process. */
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @Inject ExecutorWatches watches;

  @Override
  public HealthCheckResponse call() {
    boolean up = true;
    HealthCheckResponseBuilder response = HealthCheckResponse.named("agentwire-executor");
    for (ExecutorWatch watch : watches.all()) {
      boolean stuck = watch.stuck(PATIENCE);
      up &= !stuck;
      response.withData(watch.name(), stuck ? "stuck" : "progressing");
      response.withData(watch.name() + "-waiting", watch.waiting());
    }
    return response.status(up).build();
  }
}
