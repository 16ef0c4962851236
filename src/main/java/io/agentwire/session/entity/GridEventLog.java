package io.agentwire.session.entity;

import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import com.hazelcast.ringbuffer.StaleSequenceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;

/**
 * A session's event log in the data grid: a Hazelcast {@link Ringbuffer} of the session's own, with
 * a synchronous backup on another member (its configuration, {@code agentwire-log-*}, is the
 * cluster directory's). The ringbuffer assigns every seq: an {@code add} is one operation on the
 * ringbuffer's partition, applied to the backup before it returns, so the order of seqs is the
 * order of storage, and an event is sent only after its backup holds it (G7). The ringbuffer's
 * capacity is {@code agentwire.session.max-events}; it overwrites its oldest events, which a resume
 * then reports as a gap.
 *
 * <p>The seq is part of the event's text, but the ringbuffer names it only once the text is stored.
 * So the log stores the text around its seq: {@code encode(1)} gives the frame with {@code
 * "seq":1}, and the log keeps what comes before and after that number, separated by a NUL (which
 * JSON text never carries raw: it is escaped inside strings). Reading puts the seq back, so a
 * replay resends exactly the frame that went live. The encoder writes {@code type} then {@code seq}
 * first, so the first {@code "seq":1,} is the field, never a client's data.
 *
 * <p>Acknowledged events stay in the ringbuffer (it cannot forget from the middle of its history),
 * but are not replayed: the highest acknowledged seq is the session's, in its record, and reported
 * as a gap like trimmed ones. {@code max-bytes} does not apply to a clustered log: a ringbuffer is
 * bounded by count.
 */
public final class GridEventLog implements EventLog {

  private static final String SEQ_FIELD = "\"seq\":";
  private static final char SEPARATOR = '\0';

  /** How long one grid call may take before the call fails (the grid's own timeout is 60 s). */
  private static final long CALL_SECONDS = 10;

  private final Ringbuffer<String> ring;
  private final LongConsumer acknowledged;
  private long acked;

  /**
   * @param acked the session's highest acknowledged seq when this view of its log was made
   * @param acknowledged told every higher acknowledged seq, to keep it in the session's record
   */
  public GridEventLog(Ringbuffer<String> ring, long acked, LongConsumer acknowledged) {
    this.ring = Objects.requireNonNull(ring, "ring");
    this.acked = acked;
    this.acknowledged = acknowledged;
  }

  @Override
  public StoredEvent append(LongFunction<String> encode) {
    String template = Objects.requireNonNull(encode.apply(1), "encoded event text");
    int at = template.indexOf(SEQ_FIELD + "1,");
    if (at < 0) {
      throw new IllegalArgumentException("an event's text carries \"seq\":1, first");
    }
    String prefix = template.substring(0, at + SEQ_FIELD.length());
    String suffix = template.substring(at + SEQ_FIELD.length() + 1);
    long index = ring.add(prefix + SEPARATOR + suffix);
    long seq = index + 1;
    return new StoredEvent(seq, prefix + seq + suffix);
  }

  @Override
  public Replay after(long seq) {
    return after(seq, Integer.MAX_VALUE);
  }

  @Override
  public Replay after(long seq, int maxEvents) {
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative, was " + seq);
    }
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, was " + maxEvents);
    }
    while (true) {
      long last = ring.tailSequence() + 1;
      if (seq >= last) {
        return new Replay.Complete(List.of());
      }
      long oldestHeld = Math.max(ring.headSequence() + 1, ackedUpTo() + 1);
      long from = Math.max(seq + 1, oldestHeld);
      List<StoredEvent> events = new ArrayList<>();
      if (from <= last) {
        int count = (int) Math.min(Math.min(maxEvents, last - from + 1), 1000);
        try {
          ReadResultSet<String> read =
              ring.readManyAsync(from - 1, 0, count, null)
                  .toCompletableFuture()
                  .get(CALL_SECONDS, TimeUnit.SECONDS);
          for (int i = 0; i < read.size(); i++) {
            events.add(event(read.getSequence(i) + 1, read.get(i)));
          }
        } catch (ExecutionException e) {
          if (e.getCause() instanceof StaleSequenceException) {
            continue; // overwritten meanwhile: the gap is wider, ask again
          }
          throw new IllegalStateException("reading a session's log failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted reading a session's log", e);
        } catch (TimeoutException e) {
          throw new IllegalStateException("reading a session's log timed out", e);
        }
      }
      return seq + 1 < from
          ? new Replay.Gap(seq + 1, from - 1, events)
          : new Replay.Complete(events);
    }
  }

  private static StoredEvent event(long seq, String stored) {
    int cut = stored.indexOf(SEPARATOR);
    return new StoredEvent(seq, stored.substring(0, cut) + seq + stored.substring(cut + 1));
  }

  @Override
  public void acknowledge(long seq) {
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative, was " + seq);
    }
    long upTo = Math.min(seq, lastSeq());
    boolean higher;
    synchronized (this) {
      higher = upTo > acked;
      if (higher) {
        acked = upTo;
      }
    }
    if (higher) {
      acknowledged.accept(upTo);
    }
  }

  private synchronized long ackedUpTo() {
    return acked;
  }

  @Override
  public long lastSeq() {
    return ring.tailSequence() + 1;
  }

  @Override
  public int size() {
    long last = lastSeq();
    long oldestHeld = Math.max(ring.headSequence() + 1, ackedUpTo() + 1);
    return (int) Math.max(0, last - oldestHeld + 1);
  }

  /** Reads what is held: for diagnostics, not for the hot path. */
  @Override
  public long bytes() {
    long total = 0;
    for (StoredEvent e : after(0).events()) {
      total += LocalEventLog.utf8Length(e.text());
    }
    return total;
  }
}
