package io.agentwire.connection.entity;

/** The race-condition patterns of PROTOCOL section 9, counted and logged one line each. */
public enum RacePattern {
  MISSING_STATE_MACHINE_DURING_CONNECTION_VALIDATION,
  CONNECTION_VALIDATION_WITHOUT_ID,
  MESSAGE_BEFORE_READY,
  SEND_BEFORE_READY,
  READINESS_DEADLINE_EXCEEDED,
  INVALID_STATE_TRANSITION,
  SEND_AFTER_CLOSE,
  CLOSE_DURING_INITIALIZATION,
  SESSION_SUPERSEDED,
  MESSAGE_AFTER_CLOSE;

  /** The label value in {@code agentwire_race_patterns_total{pattern}}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
