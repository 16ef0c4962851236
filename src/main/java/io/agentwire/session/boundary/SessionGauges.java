package io.agentwire.session.boundary;

import io.agentwire.session.control.SessionDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/** The gauge {@code agentwire_sessions{state="attached"|"detached"}}, read when scraped. */
@ApplicationScoped
public class SessionGauges {

  @Inject MetricRegistry registry;
  @Inject SessionDirectory sessions;

  void register(@Observes @Initialized(ApplicationScoped.class) Object application) {
    registry.gauge("agentwire_sessions", sessions::attached, new Tag("state", "attached"));
    registry.gauge(
        "agentwire_sessions",
        () -> Math.max(0, sessions.count() - sessions.attached()),
        new Tag("state", "detached"));
  }
}
