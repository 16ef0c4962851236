package io.agentwire.readiness.control;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/** The executors whose progress liveness reports, one watch each, by name. */
@ApplicationScoped
public class ExecutorWatches {

  private final Map<String, ExecutorWatch> watches = new ConcurrentHashMap<>();

  /** Watches {@code executor} under {@code name} (the same watch if asked twice). */
  public ExecutorWatch watch(String name, Executor executor) {
    return watches.computeIfAbsent(name, n -> new ExecutorWatch(n, executor, System::nanoTime));
  }

  public Collection<ExecutorWatch> all() {
    return List.copyOf(watches.values());
  }
}
