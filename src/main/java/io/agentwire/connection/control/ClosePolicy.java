package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.ConnectionStateMachine;
import io.agentwire.connection.entity.RacePattern;
import io.agentwire.readiness.entity.Strictness;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * How connections are closed (PROTOCOL section 8, G5) and how their state machine is driven: every
 * event goes through {@link #transition}, where an illegal one is refused, counted and, in strict
 * mode, a defect that closes with 1011 and an incident id.
 */
public final class ClosePolicy {

  private static final Logger LOG = System.getLogger("agentwire.connection");

  private final Executor executor;
  private final Strictness strictness;
  private final Duration heartbeat;
  private final Consumer<ConnectionLifecycle> announce;

  /**
   * @param executor where sockets are closed: never on a container callback's thread
   * @param heartbeat how long a 4408 close waits for the send in flight before it is forced
   */
  public ClosePolicy(
      Executor executor,
      Strictness strictness,
      Duration heartbeat,
      Consumer<ConnectionLifecycle> announce) {
    this.executor = executor;
    this.strictness = strictness;
    this.heartbeat = heartbeat;
    this.announce = announce;
  }

  /** A new incident id: eight hex digits, in the close reason and beside the stack trace. */
  public static String incident() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** Applies an event to the state machine; an illegal one is refused, counted and logged. */
  public void transition(Connection c, ConnectionEvent event) {
    ConnectionStateMachine.Outcome outcome = c.apply(event);
    if (outcome instanceof ConnectionStateMachine.Outcome.Refused refused) {
      race(
          RacePattern.INVALID_STATE_TRANSITION,
          c,
          refused.event() + " in " + refused.state(),
          strictness.illegalTransitionLevel());
      if (strictness.closesOnIllegalTransition() && !refused.state().isEnding()) {
        String incident = incident();
        LOG.log(
            Level.ERROR,
            "incident {0}: illegal transition {1} in {2} on {3}",
            incident,
            refused.event(),
            refused.state(),
            c.logId());
        executor.execute(() -> defect(c, incident));
      }
    }
  }

  /** Counts and logs a race pattern of PROTOCOL section 9 at info. */
  public void race(RacePattern pattern, Connection c, String detail) {
    race(pattern, c, detail, Level.INFO);
  }

  private void race(RacePattern pattern, Connection c, String detail, Level level) {
    announce.accept(new ConnectionLifecycle.Race(pattern, c.logId(), detail, level));
  }

  /** A defect whose stack trace was logged with {@code incident}: 1011 (G5). */
  public void defect(Connection c, String incident) {
    close(c, CloseCode.DEFECT, "internal error, incident " + incident, false);
  }

  /** A defect: logs the throwable with a new incident id and closes with 1011. */
  public void defect(Connection c, String what, Throwable cause) {
    String incident = incident();
    LOG.log(Level.ERROR, "incident " + incident + ": " + what + " on " + c.logId(), cause);
    defect(c, incident);
  }

  /**
   * Closes with a code of PROTOCOL section 8. With {@code flush}, what is queued is sent first;
   * without, it is dropped. The socket is closed off the calling thread: closing from inside a
   * container callback can hang Tyrus (tyrus-project/tyrus issue 389).
   */
  public void close(Connection c, CloseCode code, String reason, boolean flush) {
    synchronized (c) {
      if (c.state().isEnding()) {
        return;
      }
      transition(c, new ConnectionEvent.CloseRequested(code.getCode(), reason));
    }
    Runnable closeSocket =
        () ->
            executor.execute(
                () -> {
                  try {
                    c.socket().close(code.toCloseReason(reason));
                  } catch (IOException | RuntimeException e) {
                    // The transport is already gone: its close arrives, or arrived, on its own.
                    LOG.log(Level.DEBUG, "close of {0} failed: {1}", c.logId(), e.toString());
                  }
                });
    Runnable closeWhenSettled = () -> c.whenSettled(closeSocket);
    if (flush) {
      c.outbound().finish(closeWhenSettled);
    } else if (code == CloseCode.TOO_SLOW) {
      // The client reads too slowly, so the container's write queue is full and our send in flight
      // waits in Tyrus's own queue. Closing now would queue the close frame behind it, and Tyrus
      // ends the connection right after queueing a close frame, failing whatever it still queues
      // (ProtocolHandler.close -> TyrusWebSocket.onClose -> doClose -> TyrusServletWriter.close,
      // Tyrus 2.1.5): the client would read the buffered events, then an end without 4408. So drop
      // the queue (the events stay in the session) and close when the send in flight completes:
      // the container's queue has just drained below its limit then, and a client that reads again
      // gets the close frame behind the events. One that does not read for a heartbeat interval is
      // closed anyway by the sweeper; it could not see a close frame either.
      AtomicBoolean once = new AtomicBoolean();
      Runnable closeOnce =
          () -> {
            if (once.compareAndSet(false, true)) {
              closeWhenSettled.run();
            }
          };
      c.forceCloseAfter(heartbeat, closeOnce);
      c.outbound().discard(closeOnce);
    } else {
      c.outbound().abort();
      closeWhenSettled.run();
    }
  }
}
