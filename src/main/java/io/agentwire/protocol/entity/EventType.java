package io.agentwire.protocol.entity;

import java.util.Locale;

/** The run events of PROTOCOL section 4; a run ends with exactly one terminal event. */
public enum EventType {
  AGENT_STARTED(false),
  AGENT_THINKING(false),
  TOOL_EXECUTING(false),
  TOOL_COMPLETED(false),
  AGENT_COMPLETED(true),
  AGENT_FAILED(true),
  AGENT_CANCELLED(true);

  private final String wireName;
  private final boolean terminal;

  EventType(boolean terminal) {
    this.wireName = name().toLowerCase(Locale.ROOT);
    this.terminal = terminal;
  }

  /** The event's {@code type} on the wire, e.g. {@code agent_started}. */
  public String wireName() {
    return wireName;
  }

  /** The type of a wire name, if it is one. */
  public static java.util.Optional<EventType> fromWire(String wireName) {
    for (EventType t : values()) {
      if (t.wireName.equals(wireName)) {
        return java.util.Optional.of(t);
      }
    }
    return java.util.Optional.empty();
  }

  /** Whether this event ends its run: nothing of the run follows it. */
  public boolean isTerminal() {
    return terminal;
  }
}
