package io.agentwire.connection.control;

import java.util.ArrayDeque;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The one ordered, bounded, non-blocking way out of a connection: a queue with at most one
 * asynchronous send in flight, so that the order on the wire is the order of {@link #offer}.
 * Nothing leaves before {@link #open}, whose message goes first (G1).
 */
public final class Outbound {

  /** The asynchronous send of the socket: calls {@code done} with null or the failure. */
  @FunctionalInterface
  public interface Remote {
    void send(String text, Consumer<Throwable> done);
  }

  /** What became of an offered message. */
  public enum Accepted {
    QUEUED,
    /** Queued behind {@code ready}, which has not been sent yet. */
    BEFORE_READY,
    /** Dropped: the connection is closing or closed. */
    AFTER_CLOSE,
    /** Dropped: the queue passed its byte bound; the caller closes with 4408. */
    OVERFLOW
  }

  private record Frame(String text, long bytes) {}

  private final Remote remote;
  private final long maxBytes;
  private final BiConsumer<String, Throwable> onSendFailure;
  private final ArrayDeque<Frame> queue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean opened;
  private boolean closed;
  private boolean inFlight;
  private boolean pumping;
  private Runnable whenFlushed;

  /** Told once when the queue has room again after {@link #offerIfRoom} found none. */
  private Runnable whenRoom;

  public Outbound(Remote remote, long maxBytes, BiConsumer<String, Throwable> onSendFailure) {
    this.remote = remote;
    this.maxBytes = maxBytes;
    this.onSendFailure = onSendFailure;
  }

  public Accepted offer(String text) {
    synchronized (this) {
      if (closed || whenFlushed != null) {
        return Accepted.AFTER_CLOSE;
      }
      long bytes = Assembler.utf8Length(text); // counted, not encoded: no array per message
      if (queuedBytes + bytes > maxBytes) {
        return Accepted.OVERFLOW;
      }
      queue.addLast(new Frame(text, bytes));
      queuedBytes += bytes;
      if (!opened) {
        return Accepted.BEFORE_READY;
      }
    }
    pump();
    return Accepted.QUEUED;
  }

  /**
   * Queues {@code text} if it fits in half the byte bound (or the queue is empty, so that even an
   * event longer than that goes out), and answers whether it did. If not, and the queue is still
   * open, {@code whenRoom} is run once the queue has drained to half its bound again: a replay goes
   * out as fast as the client reads, never faster, and leaves the other half to live messages.
   */
  public boolean offerIfRoom(String text, Runnable whenRoom) {
    synchronized (this) {
      if (closed || whenFlushed != null || !opened) {
        return false;
      }
      long bytes = Assembler.utf8Length(text);
      boolean empty = queue.isEmpty() && !inFlight;
      if (!empty && queuedBytes + bytes > maxBytes / 2) {
        this.whenRoom = whenRoom;
        return false;
      }
      queue.addLast(new Frame(text, bytes));
      queuedBytes += bytes;
    }
    pump();
    return true;
  }

  /** Sends {@code first} ahead of everything queued so far, then lets the queue flow. */
  public void open(String first) {
    synchronized (this) {
      if (closed || opened) {
        return;
      }
      long bytes = Assembler.utf8Length(first);
      queue.addFirst(new Frame(first, bytes));
      queuedBytes += bytes;
      opened = true;
    }
    pump();
  }

  /** Accepts nothing more; runs {@code then} once what is queued has been sent. */
  public void finish(Runnable then) {
    finish(then, false);
  }

  /**
   * Drops what is queued and accepts nothing more, but lets the send in flight complete and runs
   * {@code then} after it (at once if none is in flight). The container completes a send when it
   * takes the frame into its own write queue, which it does once that queue has room again.
   */
  public void discard(Runnable then) {
    finish(then, true);
  }

  private void finish(Runnable then, boolean discardQueued) {
    boolean now;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (discardQueued) {
        for (Frame f : queue) {
          queuedBytes -= f.bytes();
        }
        queue.clear();
      }
      whenFlushed = then;
      now = !opened || (queue.isEmpty() && !inFlight);
      if (now) {
        closed = true;
        queue.clear();
        queuedBytes = 0;
      }
    }
    if (now) {
      then.run();
    }
  }

  /** Drops everything queued and accepts nothing more. */
  public synchronized void abort() {
    closed = true;
    whenRoom = null;
    queue.clear();
    queuedBytes = 0;
  }

  public synchronized long queuedBytes() {
    return queuedBytes;
  }

  private void pump() {
    synchronized (this) {
      if (pumping) {
        return;
      }
      pumping = true;
    }
    // A loop rather than recursion: the container may complete a send on the calling thread.
    while (true) {
      Frame next;
      synchronized (this) {
        if (inFlight || !opened || closed || queue.isEmpty()) {
          pumping = false;
          break;
        }
        next = queue.pollFirst();
        inFlight = true;
      }
      try {
        remote.send(next.text(), failure -> sent(next, failure));
      } catch (RuntimeException | Error e) {
        // A send that throws (Tyrus's strict UTF-8 encoder throws an Error from TextFrame.encode)
        // must not leave the send marked in flight forever: treat it as a failed send.
        sent(next, e);
      }
    }
    flushedCheck();
  }

  private void sent(Frame frame, Throwable failure) {
    Runnable room = null;
    synchronized (this) {
      inFlight = false;
      queuedBytes -= frame.bytes();
      if (failure != null) {
        closed = true;
        queue.clear();
        queuedBytes = 0;
        whenRoom = null;
      } else if (whenRoom != null && queuedBytes <= maxBytes / 2) {
        room = whenRoom;
        whenRoom = null;
      }
    }
    if (failure != null) {
      onSendFailure.accept(frame.text(), failure);
    }
    pump();
    if (room != null) {
      room.run();
    }
  }

  private void flushedCheck() {
    Runnable then = null;
    synchronized (this) {
      if (whenFlushed != null && !closed && queue.isEmpty() && !inFlight) {
        then = whenFlushed;
        closed = true;
      }
    }
    if (then != null) {
      then.run();
    }
  }
}
