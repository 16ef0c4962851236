package io.agentwire.connection.entity;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.util.List;
import java.util.Optional;

/** The server-to-client messages of PROTOCOL section 4 that are not run events. */
public final class ServerMessages {

  private ServerMessages() {}

  /** The announced limits of a connection. */
  public record Limits(
      int maxMessageBytes, int holdMaxMessages, int runsPerConnection, int messagesPerSecond) {}

  public static String ready(
      String connectionId,
      String sessionId,
      String resumeToken,
      boolean resumed,
      long lastSeq,
      long heartbeatMs,
      Limits limits,
      List<String> degraded,
      Optional<String> resumeFailure) {
    JsonArrayBuilder steps = Json.createArrayBuilder();
    degraded.forEach(steps::add);
    JsonObjectBuilder ready =
        Json.createObjectBuilder()
            .add("type", "ready")
            .add("connectionId", connectionId)
            .add("sessionId", sessionId)
            .add("resumeToken", resumeToken)
            .add("resumed", resumed)
            .add("lastSeq", lastSeq)
            .add("heartbeatMs", heartbeatMs)
            .add(
                "limits",
                Json.createObjectBuilder()
                    .add("maxMessageBytes", limits.maxMessageBytes())
                    .add("holdMaxMessages", limits.holdMaxMessages())
                    .add("runsPerConnection", limits.runsPerConnection())
                    .add("messagesPerSecond", limits.messagesPerSecond()))
            .add("degraded", steps);
    resumeFailure.ifPresent(f -> ready.add("resumeFailure", f));
    return ready.build().toString();
  }

  public static String pong(Optional<JsonValue> id) {
    JsonObjectBuilder pong = Json.createObjectBuilder().add("type", "pong");
    pong.add("id", id.orElse(JsonValue.NULL));
    return pong.build().toString();
  }

  /** An {@code error}; {@code ref} is the runId or type it concerns, or null. */
  public static String error(String code, String message, String ref) {
    JsonObjectBuilder error =
        Json.createObjectBuilder().add("type", "error").add("code", code).add("message", message);
    if (ref != null) {
      error.add("ref", ref);
    }
    return error.build().toString();
  }
}
