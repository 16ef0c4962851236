package io.agentwire.session.entity;

import java.util.function.LongFunction;

/**
 * One session's event log: it assigns every {@code seq} (G6) and holds the events a resume replays
 * (section 6), so that "stored before sent" (G7) is a property of one place. Free of JSON and CDI,
 * so that an in-memory and a clustered log can stand behind the same seam.
 *
 * <p>Events are forgotten only from the oldest end, so the events held always have consecutive
 * seqs: by the bounds (inside {@link #append}) and by the client ({@link #acknowledge}). There is
 * no separate trim: a session that passes its retention drops its whole log.
 */
public interface EventLog {

  /**
   * Assigns the next seq (1 for the first event, then +1 per event), asks {@code encode} for the
   * event's wire text with that seq in it, stores the text and forgets the oldest events that
   * exceed the bounds. Assigning and storing are one atomic step: the order of seqs is the order of
   * storage. {@code encode} runs inside that step, so it must be quick and must not call back into
   * this log. If it throws or answers null, nothing is stored and the seq is not used.
   *
   * @return the stored event, its seq and its exact text; sending it after this returns satisfies
   *     G7
   */
  StoredEvent append(LongFunction<String> encode);

  /**
   * The events after {@code seq}, in seq order. {@link Replay.Gap} when the log no longer holds
   * every one of them (from {@code seq + 1} to the seq before the oldest event held, or to {@link
   * #lastSeq()} when none is held); {@link Replay.Complete} otherwise, empty when {@code seq} is at
   * or beyond {@link #lastSeq()}.
   *
   * @throws IllegalArgumentException if {@code seq} is negative
   */
  Replay after(long seq);

  /**
   * As {@link #after(long)}, but with at most {@code maxEvents} of the events (the oldest ones): a
   * replay goes out in chunks, as the connection's outbound queue has room.
   */
  Replay after(long seq, int maxEvents);

  /**
   * The client has every event up to {@code seq}: forget them. An ack beyond {@link #lastSeq()}
   * acknowledges up to {@link #lastSeq()} only, so events appended later are kept; an ack below an
   * earlier one changes nothing.
   *
   * @throws IllegalArgumentException if {@code seq} is negative
   */
  void acknowledge(long seq);

  /** The highest seq assigned so far, 0 if none; acknowledging and trimming do not lower it. */
  long lastSeq();

  /** The number of events held. */
  int size();

  /** The UTF-8 length of the texts held, in bytes. */
  long bytes();
}
