package io.agentwire.protocol.entity;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A message from the server (PROTOCOL section 4), as a value, so that one encoder owns the wire
 * form and its field order ({@code type} first).
 */
public sealed interface ServerMessage {

  /** The announced limits of a connection, the {@code limits} object of {@code ready}. */
  record Limits(
      int maxMessageBytes, int holdMaxMessages, int runsPerConnection, int messagesPerSecond) {}

  /**
   * The connection is ready; {@code degraded} names the set-up steps that did not finish, and
   * {@code resumeFailure} ({@code expired}, {@code unknown}, {@code forbidden}) why a resume that
   * was asked for was refused.
   */
  record Ready(
      String connectionId,
      String sessionId,
      String resumeToken,
      boolean resumed,
      long lastSeq,
      long heartbeatMs,
      Limits limits,
      List<String> degraded,
      Optional<String> resumeFailure)
      implements ServerMessage {
    public Ready {
      Objects.requireNonNull(connectionId, "connectionId");
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(resumeToken, "resumeToken");
      Objects.requireNonNull(limits, "limits");
      degraded = List.copyOf(degraded);
      Objects.requireNonNull(resumeFailure, "resumeFailure");
    }
  }

  /** Answers a {@code ping}: {@code id} is the ping's, sent as {@code null} when it had none. */
  record Pong(Optional<JsonValue> id) implements ServerMessage {
    public Pong {
      Objects.requireNonNull(id, "id");
    }
  }

  /** Refuses a client message; {@code ref} is the runId or type it concerns, when there is one. */
  record Error(ErrorCode code, String message, Optional<String> ref) implements ServerMessage {
    public Error {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(ref, "ref");
    }
  }

  /** A numbered run event; {@code ts} goes on the wire as ISO-8601 UTC. */
  record Event(long seq, EventType type, String runId, Instant ts, JsonObject data)
      implements ServerMessage {
    public Event {
      if (seq < 1) {
        throw new IllegalArgumentException("seq starts at 1: " + seq);
      }
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(runId, "runId");
      Objects.requireNonNull(ts, "ts");
      Objects.requireNonNull(data, "data");
    }
  }
}
