package io.agentwire.session.entity;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * A session's event log in this instance's memory, for a single instance; bounded by count and by
 * UTF-8 bytes so that one slow or absent client cannot hold the heap.
 *
 * <p>The oldest events are dropped first. The newest event is always held, even when its text alone
 * is longer than {@code maxBytes}: dropping it would lose an event no client has received yet,
 * whereas a resume can report older events as a gap. So {@link #bytes()} may exceed {@code
 * maxBytes} while exactly one event is held. Thread-safe: every operation takes this log's lock.
 */
public final class LocalEventLog implements EventLog {

  private final int maxEvents;
  private final long maxBytes;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private long lastSeq;
  private long bytes;

  /**
   * @param maxEvents at most this many events are held, at least 1 ({@code
   *     agentwire.session.max-events})
   * @param maxBytes at most this many UTF-8 bytes of text are held, at least 1, unless one event
   *     alone is longer
   */
  public LocalEventLog(int maxEvents, long maxBytes) {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, was " + maxEvents);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1, was " + maxBytes);
    }
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
  }

  @Override
  public synchronized StoredEvent append(LongFunction<String> encode) {
    long seq = lastSeq + 1;
    String text = Objects.requireNonNull(encode.apply(seq), "encoded event text");
    Held event = new Held(new StoredEvent(seq, text), utf8Length(text));
    held.addLast(event);
    bytes += event.bytes();
    lastSeq = seq;
    while (held.size() > maxEvents || (bytes > maxBytes && held.size() > 1)) {
      dropOldest();
    }
    return event.event();
  }

  @Override
  public synchronized Replay after(long seq) {
    return after(seq, Integer.MAX_VALUE);
  }

  @Override
  public synchronized Replay after(long seq, int maxEvents) {
    requireSeq(seq);
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, was " + maxEvents);
    }
    if (seq >= lastSeq) {
      return new Replay.Complete(List.of());
    }
    long oldestHeld = held.isEmpty() ? lastSeq + 1 : held.peekFirst().event().seq();
    List<StoredEvent> events =
        new ArrayList<>((int) Math.min(Math.min(held.size(), lastSeq - seq), maxEvents));
    for (Held event : held) {
      if (events.size() == maxEvents) {
        break;
      }
      if (event.event().seq() > seq) {
        events.add(event.event());
      }
    }
    return seq + 1 < oldestHeld
        ? new Replay.Gap(seq + 1, oldestHeld - 1, events)
        : new Replay.Complete(events);
  }

  @Override
  public synchronized void acknowledge(long seq) {
    requireSeq(seq);
    long upTo = Math.min(seq, lastSeq);
    while (!held.isEmpty() && held.peekFirst().event().seq() <= upTo) {
      dropOldest();
    }
  }

  @Override
  public synchronized long lastSeq() {
    return lastSeq;
  }

  @Override
  public synchronized int size() {
    return held.size();
  }

  @Override
  public synchronized long bytes() {
    return bytes;
  }

  private void dropOldest() {
    bytes -= held.removeFirst().bytes();
  }

  private static void requireSeq(long seq) {
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative, was " + seq);
    }
  }

  /**
   * The length of {@code text} in UTF-8, as {@code text.getBytes(UTF_8).length} but without the
   * array: a surrogate pair is 4 bytes, and a lone surrogate (which no event should carry) counts
   * as the one-byte {@code '?'} the JDK's encoder puts in its place.
   */
  static long utf8Length(CharSequence text) {
    long length = 0;
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        length += 1;
      } else if (c < 0x800) {
        length += 2;
      } else if (!Character.isSurrogate(c)) {
        length += 3;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        length += 4;
        i++;
      } else {
        length += 1;
      }
    }
    return length;
  }

  /** An event with its UTF-8 length, counted once when stored and subtracted when dropped. */
  private record Held(StoredEvent event, long bytes) {}
}
