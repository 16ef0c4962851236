package io.agentwire.connection.entity;

/**
 * The set-up steps of a connection, in order; names appear in {@code degraded} and 1013 reasons.
 */
public enum SetupStep {
  /** The token is verified. Required in every strictness mode. */
  AUTHENTICATION,
  /** The connection gets its id and is published in the registry. */
  REGISTRATION,
  /** The ordered outbound queue is attached to the socket. */
  OUTBOUND,
  /** A session is created (or resumed) and attached. */
  SESSION;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
