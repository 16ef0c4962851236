package io.agentwire.drain.boundary;

import io.agentwire.drain.control.Drainer;
import io.agentwire.security.boundary.AdminOnly;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code POST /api/admin/drain} (admins only): begins the drain and answers at once, 202 with
 * {@code {"draining": true, "connections": n}}, while the connections are closed over the spread.
 * What a Kubernetes {@code preStop} hook calls; the SIGTERM that follows joins the same drain. The
 * process exits once drained ({@link Termination}).
 */
@Path("admin/drain")
@AdminOnly
@ApplicationScoped
public class DrainResource {

  @Inject Drainer drainer;
  @Inject Termination termination;

  @POST
  @Produces(MediaType.APPLICATION_JSON)
  public Response drain() {
    int connections = drainer.start("POST /api/admin/drain");
    termination.exitWhenDrained(0);
    return Response.status(Response.Status.ACCEPTED)
        .entity(
            Json.createObjectBuilder()
                .add("draining", true)
                .add("connections", connections)
                .build()
                .toString())
        .build();
  }
}
