package io.agentwire.security.boundary;

import io.agentwire.http.boundary.HttpErrors;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.security.control.DevelopmentTokens;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.List;

/**
 * {@code POST /api/dev/token}: a token signed with the development key, for trying the service
 * locally. Answers 404 unless the strictness serves development tokens (permissive).
 *
 * <p>Body: {@code {"sub": "...", "groups": ["..."], "expiresInSeconds": 60}}; the lifetime is
 * optional (1 to 86400 seconds, one hour by default), so that a page can try what happens when a
 * token runs out (close 4401, then the client's token callback).
 */
@Path("dev/token")
@ApplicationScoped
public class DevelopmentTokenResource {

  private static final Duration LIFETIME = Duration.ofHours(1);
  private static final long MAX_SECONDS = Duration.ofDays(1).toSeconds();

  @Inject ReadinessSettings readiness;
  @Inject DevelopmentTokens tokens;

  // The body is read as text, not as a JsonObject parameter: the profile is asked first, so that
  // where development tokens are not served every POST is a 404, whatever its body or type (a
  // JsonObject parameter would be parsed, and refused as 400 or 415, before this method runs).
  @POST
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  public Response mint(String body) {
    if (!readiness.strictness().servesDevelopmentTokens()) {
      throw new NotFoundException();
    }
    JsonObject request;
    try (var reader = Json.createReader(new java.io.StringReader(body == null ? "" : body))) {
      request = reader.readObject();
    } catch (RuntimeException notAnObject) {
      // JsonException for broken JSON or another type; Parsson's NumberFormatException for a
      // number it cannot hold (PAYARA.md)
      return badRequest("the body must be a JSON object");
    }
    JsonValue sub = request.get("sub");
    if (!(sub instanceof JsonString subject) || subject.getString().isBlank()) {
      return badRequest("sub must be a non-empty string");
    }
    JsonValue given = request.get("groups");
    List<String> groups;
    if (given == null || given == JsonValue.NULL) {
      groups = List.of();
    } else if (given instanceof JsonArray array
        && array.stream().allMatch(JsonString.class::isInstance)) {
      groups = array.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    } else {
      return badRequest("groups must be a list of strings");
    }
    JsonValue expires = request.get("expiresInSeconds");
    Duration lifetime = LIFETIME;
    if (expires != null && expires != JsonValue.NULL) {
      if (!(expires instanceof JsonNumber n)
          || !n.isIntegral()
          || n.bigDecimalValue().compareTo(java.math.BigDecimal.ONE) < 0
          || n.bigDecimalValue().compareTo(java.math.BigDecimal.valueOf(MAX_SECONDS)) > 0) {
        return badRequest("expiresInSeconds must be an integer from 1 to " + MAX_SECONDS);
      }
      lifetime = Duration.ofSeconds(n.longValue());
    }
    String token = tokens.mint(subject.getString(), groups, lifetime);
    return Response.ok(Json.createObjectBuilder().add("token", token).build()).build();
  }

  private static Response badRequest(String message) {
    return HttpErrors.response(400, "bad_request", message);
  }
}
