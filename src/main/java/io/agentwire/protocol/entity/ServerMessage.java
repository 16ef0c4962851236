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

  /** A run in flight as {@code ready.runs} lists it: its id, agent and the seq it started at. */
  record RunInFlight(String runId, String agent, long startedSeq) {
    public RunInFlight {
      Objects.requireNonNull(runId, "runId");
      Objects.requireNonNull(agent, "agent");
    }
  }

  /** The seqs a resumed session no longer holds, {@code from} to {@code to}, both inclusive. */
  record Gap(long from, long to) {
    public Gap {
      if (from < 1 || to < from) {
        throw new IllegalArgumentException("a gap names seqs 1 <= from <= to: " + from + ".." + to);
      }
    }
  }

  /**
   * The connection is ready; {@code degraded} names the set-up steps that did not finish, {@code
   * runs} the session's runs in flight, {@code resumeFailure} ({@code expired}, {@code unknown},
   * {@code forbidden}) why a resume that was asked for was refused, and {@code gap} the seqs a
   * resumed session lost.
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
      List<RunInFlight> runs,
      Optional<String> resumeFailure,
      Optional<Gap> gap)
      implements ServerMessage {
    public Ready {
      Objects.requireNonNull(connectionId, "connectionId");
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(resumeToken, "resumeToken");
      Objects.requireNonNull(limits, "limits");
      degraded = List.copyOf(degraded);
      runs = List.copyOf(runs);
      Objects.requireNonNull(resumeFailure, "resumeFailure");
      Objects.requireNonNull(gap, "gap");
    }
  }

  /** The instance drains: resume on another connection after {@code reconnectAfterMs}. */
  record Draining(long reconnectAfterMs) implements ServerMessage {
    public Draining {
      if (reconnectAfterMs < 0) {
        throw new IllegalArgumentException("reconnectAfterMs is not negative: " + reconnectAfterMs);
      }
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
