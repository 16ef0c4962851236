package io.agentwire.drain.boundary;

import io.agentwire.drain.control.Drainer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * The gauges of the drain, read when scraped: {@code agentwire_draining} (0 or 1) and {@code
 * agentwire_drain_connections{state="total"|"remaining"}}.
 */
@ApplicationScoped
public class DrainGauges {

  @Inject MetricRegistry registry;
  @Inject Drainer drainer;

  void register(@Observes @Initialized(ApplicationScoped.class) Object application) {
    registry.gauge("agentwire_draining", () -> drainer.draining() ? 1 : 0);
    registry.gauge("agentwire_drain_connections", drainer::total, new Tag("state", "total"));
    registry.gauge(
        "agentwire_drain_connections", drainer::remaining, new Tag("state", "remaining"));
  }
}
