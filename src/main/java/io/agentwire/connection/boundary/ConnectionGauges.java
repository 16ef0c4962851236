package io.agentwire.connection.boundary;

import io.agentwire.connection.control.Connections;
import io.agentwire.connection.entity.ConnectionState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/** The gauge {@code agentwire_connections{state}}, read from the registry when scraped. */
@ApplicationScoped
public class ConnectionGauges {

  @Inject MetricRegistry registry;
  @Inject Connections connections;

  void register(@Observes @Initialized(ApplicationScoped.class) Object application) {
    for (ConnectionState state : ConnectionState.values()) {
      registry.gauge(
          "agentwire_connections",
          () -> connections.registry().countByState().get(state),
          new Tag("state", state.name()));
    }
  }
}
