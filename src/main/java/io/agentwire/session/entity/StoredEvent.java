package io.agentwire.session.entity;

import java.util.Objects;

/**
 * One event as a session's log holds it: its {@code seq} and the exact text that went (or goes) on
 * the wire, so a replay resends the very same frame. Its own file because both {@link EventLog}
 * implementations and {@link Replay} use it.
 */
public record StoredEvent(long seq, String text) {

  public StoredEvent {
    if (seq < 1) {
      throw new IllegalArgumentException("seq starts at 1 (G6), was " + seq);
    }
    Objects.requireNonNull(text, "text");
  }
}
