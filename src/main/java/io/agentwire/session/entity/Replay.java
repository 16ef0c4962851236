package io.agentwire.session.entity;

import java.util.List;

/**
 * What a session's log still holds after a seq (PROTOCOL section 6): every event, or a gap of lost
 * seqs followed by the events that are left. A type, not a boolean, so a resume cannot forget to
 * tell the client about the gap.
 */
public sealed interface Replay {

  /** The events to resend, in seq order; possibly empty. */
  List<StoredEvent> events();

  /** The log holds every event after the asked seq. */
  record Complete(List<StoredEvent> events) implements Replay {

    public Complete {
      events = List.copyOf(events);
    }
  }

  /**
   * Seqs {@code from} to {@code to} (both inclusive) are lost, trimmed by a bound or acknowledged;
   * {@code events} are those held after them, starting at {@code to + 1} when there are any.
   */
  record Gap(long from, long to, List<StoredEvent> events) implements Replay {

    public Gap {
      if (from < 1 || to < from) {
        throw new IllegalArgumentException("a gap names seqs 1 <= from <= to: " + from + ".." + to);
      }
      events = List.copyOf(events);
    }
  }
}
