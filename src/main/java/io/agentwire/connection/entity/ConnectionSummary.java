package io.agentwire.connection.entity;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What diagnostics show of a connection, live or closed: values only, so that nothing of the live
 * connection (socket, queues, session, the container's upgrade request) stays reachable.
 */
public record ConnectionSummary(
    String connectionId,
    String subject,
    Instant openedAt,
    ConnectionState state,
    List<String> degraded,
    int closeCode,
    String sessionId,
    long lastSeq,
    List<ConnectionStateMachine.Transition> timeline)
    implements Serializable {

  public ConnectionSummary {
    degraded = List.copyOf(degraded);
    timeline = List.copyOf(timeline);
  }

  public Optional<String> session() {
    return Optional.ofNullable(sessionId);
  }
}
