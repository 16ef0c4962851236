package io.agentwire.diagnostics.boundary;

import io.agentwire.connection.control.Connections;
import io.agentwire.connection.entity.ConnectionStateMachine.Transition;
import io.agentwire.connection.entity.ConnectionSummary;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.drain.control.Drainer;
import io.agentwire.readiness.control.InstanceLifecycle;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.security.boundary.AdminOnly;
import io.agentwire.session.control.SessionDirectory;
import io.agentwire.session.entity.StreamSession;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;

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
  @Inject Drainer drainer;

  @Inject
  @ConfigProperty(name = "agentwire.session.retention")
  java.time.Duration retention;

  @GET
  public JsonObject overview() {
    JsonObjectBuilder states = Json.createObjectBuilder();
    connections.registry().countByState().forEach((state, n) -> states.add(state.name(), n));
    JsonObjectBuilder patterns = Json.createObjectBuilder();
    telemetry.patternCounts().forEach(patterns::add);
    JsonArrayBuilder live = Json.createArrayBuilder();
    connections.registry().live().forEach(c -> live.add(summary(c.summary())));
    JsonArrayBuilder held = Json.createArrayBuilder();
    long now = System.nanoTime();
    sessions.all().forEach(s -> held.add(session(s, now)));
    return Json.createObjectBuilder()
        .add("started", instance.started())
        .add("draining", instance.draining())
        .add(
            "drain",
            Json.createObjectBuilder()
                .add("draining", drainer.draining())
                .add("connections", drainer.total())
                .add("remaining", drainer.remaining()))
        .add("strictness", readiness.strictness().name().toLowerCase())
        .add("connectionsByState", states)
        .add("sessionCount", sessions.count())
        .add("cluster", cluster())
        .add("racePatterns", patterns)
        .add("connections", live)
        .add("sessions", held)
        .build();
  }

  /** Whether sessions live in the data grid, and this member's view of the cluster. */
  private JsonObject cluster() {
    JsonObjectBuilder b = Json.createObjectBuilder();
    sessions
        .cluster()
        .ifPresentOrElse(
            c ->
                b.add("clustered", true)
                    .add("member", c.member())
                    .add("members", c.members())
                    .add("failureDetectionSeconds", c.failureDetectionSeconds()),
            () -> b.add("clustered", false));
    return b.build();
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

  /**
   * One session: its state, who holds it, what its log holds and its runs in flight; never its
   * resume token. {@code detachedForMs} and {@code expiresInMs} while no connection holds it.
   */
  private JsonObjectBuilder session(StreamSession s, long nowNanos) {
    StreamSession.Info info = s.info();
    JsonArrayBuilder runs = Json.createArrayBuilder();
    info.runs()
        .forEach(
            r ->
                runs.add(
                    Json.createObjectBuilder()
                        .add("runId", r.runId())
                        .add("agent", r.agent())
                        .add("startedSeq", r.startedSeq())));
    JsonObjectBuilder b =
        Json.createObjectBuilder()
            .add("sessionId", info.id())
            .add("subject", info.subject())
            .add("state", info.holder().isPresent() ? "attached" : "detached")
            .add("lastSeq", info.lastSeq())
            .add("heldEvents", info.heldEvents())
            .add("heldBytes", info.heldBytes())
            .add("runs", runs);
    info.holder().ifPresent(h -> b.add("connectionId", h));
    s.detachedSinceNanos()
        .ifPresent(
            since -> {
              long detachedMs =
                  java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nowNanos - since);
              b.add("detachedForMs", detachedMs)
                  .add("expiresInMs", Math.max(0, retention.toMillis() - detachedMs));
            });
    return b;
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
