package io.agentwire.readiness.boundary;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Alive: the executor that runs set-up and agents still answers. In-process facts only; it never
 * looks at connections, clients or the cluster.
 */
@Liveness
@ApplicationScoped
public class LiveCheck implements HealthCheck {

  private static final long ANSWER_WITHIN_SECONDS = 5;

  @Resource ManagedExecutorService executor;

  @Override
  public HealthCheckResponse call() {
    boolean answers;
    try {
      answers = executor.submit(() -> Boolean.TRUE).get(ANSWER_WITHIN_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answers = false;
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      answers = false;
    }
    return HealthCheckResponse.named("agentwire-executor").status(answers).build();
  }
}
