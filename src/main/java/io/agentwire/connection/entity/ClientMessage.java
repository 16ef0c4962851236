package io.agentwire.connection.entity;

import jakarta.json.JsonValue;
import java.util.Optional;

/** A message from the client, decoded once at the boundary (PROTOCOL section 4). */
public sealed interface ClientMessage {

  /** The wire name of this message's {@code type}. */
  String type();

  /** Starts an agent run; {@code runId} absent means the server assigns one. */
  record Run(String agent, JsonValue input, Optional<String> runId) implements ClientMessage {
    public String type() {
      return "run";
    }
  }

  /** Cancels a running run. */
  record Cancel(String runId) implements ClientMessage {
    public String type() {
      return "cancel";
    }
  }

  /** The client holds every event up to {@code seq}. */
  record Ack(long seq) implements ClientMessage {
    public String type() {
      return "ack";
    }
  }

  /** Answered by {@code pong} with the same {@code id} (any JSON value, or absent). */
  record Ping(Optional<JsonValue> id) implements ClientMessage {
    public String type() {
      return "ping";
    }
  }
}
