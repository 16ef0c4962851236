package io.agentwire.diagnostics.boundary;

import io.agentwire.connection.control.Connections;
import io.agentwire.connection.entity.ConnectionStateMachine.Transition;
import io.agentwire.connection.entity.ConnectionSummary;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.readiness.control.InstanceLifecycle;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.security.boundary.AdminOnly;
import io.agentwire.session.control.SessionDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/diagnostics}: counts; {@code /connections/{id}}: one connection's timeline. */
@Path("diagnostics")
@AdminOnly
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class DiagnosticsResource {

  @Inject Connections connections;
  @Inject Telemetry telemetry;
  @Inject InstanceLifecycle instance;
  @Inject ReadinessSettings readiness;
  @Inject SessionDirectory sessions;

  @GET
  public JsonObject overview() {
    JsonObjectBuilder states = Json.createObjectBuilder();
    connections.registry().countByState().forEach((state, n) -> states.add(state.name(), n));
    JsonObjectBuilder patterns = Json.createObjectBuilder();
    telemetry.patternCounts().forEach(patterns::add);
    JsonArrayBuilder live = Json.createArrayBuilder();
    connections.registry().live().forEach(c -> live.add(summary(c.summary())));
    return Json.createObjectBuilder()
        .add("started", instance.started())
        .add("draining", instance.draining())
        .add("strictness", readiness.strictness().name().toLowerCase())
        .add("connectionsByState", states)
        .add("sessions", sessions.count())
        .add("racePatterns", patterns)
        .add("connections", live)
        .build();
  }

  @GET
  @Path("connections/{id}")
  public JsonObject connection(@PathParam("id") String id) {
    ConnectionSummary c =
        connections
            .registry()
            .byId(id)
            .map(live -> live.summary())
            .or(() -> connections.registry().recentlyClosed(id))
            .orElseThrow(NotFoundException::new);
    JsonArrayBuilder timeline = Json.createArrayBuilder();
    for (Transition t : c.timeline()) {
      JsonObjectBuilder step =
          Json.createObjectBuilder()
              .add("to", t.to().name())
              .add("event", t.event())
              .add("at", t.at().toString());
      if (t.from() != null) {
        step.add("from", t.from().name());
      }
      timeline.add(step);
    }
    return summary(c).add("timeline", timeline).build();
  }

  private static JsonObjectBuilder summary(ConnectionSummary c) {
    JsonArrayBuilder degraded = Json.createArrayBuilder();
    c.degraded().forEach(degraded::add);
    JsonObjectBuilder summary =
        Json.createObjectBuilder()
            .add("connectionId", c.connectionId())
            .add("state", c.state().name())
            .add("openedAt", c.openedAt().toString())
            .add("subject", c.subject())
            .add("degraded", degraded)
            .add("closeCode", c.closeCode());
    c.session().ifPresent(s -> summary.add("sessionId", s).add("lastSeq", c.lastSeq()));
    return summary;
  }
}
