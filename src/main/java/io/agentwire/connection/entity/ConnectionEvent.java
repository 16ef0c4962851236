package io.agentwire.connection.entity;

/** What happens to a connection; the only input of its state machine. */
public sealed interface ConnectionEvent {

  /** The upgrade completed and the container handed us the socket. */
  record Opened() implements ConnectionEvent {}

  /** The token was verified. */
  record Authenticated(String subject) implements ConnectionEvent {}

  /** Registration, the outbound queue and the session are in place (or given up on). */
  record ServicesReady() implements ConnectionEvent {}

  /** {@code ready} was queued as the first outbound message. */
  record ReadySent() implements ConnectionEvent {}

  /** A run started on this connection. */
  record RunStarted() implements ConnectionEvent {}

  /** The last run in flight ended. */
  record RunsIdle() implements ConnectionEvent {}

  /** The instance drains. */
  record DrainStarted() implements ConnectionEvent {}

  /** The server decided to close, with a code from PROTOCOL section 8. */
  record CloseRequested(int code, String reason) implements ConnectionEvent {}

  /** The socket is closed, by either side. */
  record Closed(int code) implements ConnectionEvent {}

  /** A set-up step failed or a defect happened. */
  record Failed(String why) implements ConnectionEvent {}

  /** Short name used in timelines, logs and metrics. */
  default String name() {
    return getClass().getSimpleName();
  }
}
