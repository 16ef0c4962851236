package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.Observation;
import io.agentwire.connection.entity.RacePattern;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.connection.entity.Verdict;
import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.readiness.entity.Strictness;
import io.agentwire.session.entity.ResumeOutcome;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.StreamSession;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Decides, whenever something happens to a connection (a set-up step ends, the deadline passes, a
 * message arrives), whether it is ready, not yet ready, or never will be, and acts on the answer:
 * announce {@code ready} and release the hold, wait, or close with the code of PROTOCOL section 8.
 * Nothing polls: every call is caused by an event.
 */
public final class ReadyGate {

  private final Strictness strictness;
  private final Duration deadline;
  private final ServerMessage.Limits limits;
  private final ServerMessageEncoder encoder;
  private final long heartbeatMs;
  private final ClosePolicy closes;
  private final Consumer<Connection> completeLocally;
  private final BiConsumer<Connection, String> dispatch;
  private final Consumer<ConnectionLifecycle> announce;
  private final Feeds feeds;

  /** How a ready connection takes its session over: given by {@code Connections}. */
  public interface Feeds {

    /** What the session hands this connection's events to. */
    StreamSession.Subscriber subscriber(Connection c);

    /**
     * The connection holds its session now ({@code ready} is queued): the previous holder is
     * superseded (4509) and the resume counted.
     */
    void attached(Connection c, SessionGrant grant, StreamSession.Attached attached);

    /** Starts the replay of what the connection resumed after (a no-op when there is none). */
    void replay(Connection c);
  }

  /**
   * @param completeLocally completes the unfinished steps locally for a degraded {@code ready}
   * @param dispatch handles one message of a ready connection
   */
  public ReadyGate(
      Strictness strictness,
      Duration deadline,
      ServerMessage.Limits limits,
      long heartbeatMs,
      ServerMessageEncoder encoder,
      ClosePolicy closes,
      Consumer<Connection> completeLocally,
      BiConsumer<Connection, String> dispatch,
      Consumer<ConnectionLifecycle> announce,
      Feeds feeds) {
    this.feeds = feeds;
    this.strictness = strictness;
    this.deadline = deadline;
    this.limits = limits;
    this.heartbeatMs = heartbeatMs;
    this.encoder = encoder;
    this.closes = closes;
    this.completeLocally = completeLocally;
    this.dispatch = dispatch;
    this.announce = announce;
  }

  /** The verdict for a connection. */
  public Verdict evaluate(Connection c) {
    return ReadinessPolicy.decide(c.observe(), strictness, deadline);
  }

  /**
   * Counts the set-up races that a validation from outside set-up (a message arriving) reveals: the
   * original failure was exactly such a validation answered "no" instead of "not yet". The state
   * machine is created with the connection, before any message can arrive (Tyrus calls onOpen
   * before any message handler), so {@code missing_state_machine_during_connection_validation} is
   * exported for dashboards but reads 0 here by construction.
   */
  private void countValidationRaces(Connection c, Observation o) {
    if (o.state().isEmpty()) {
      closes.race(
          RacePattern.MISSING_STATE_MACHINE_DURING_CONNECTION_VALIDATION,
          c,
          "validation during set-up: not yet");
    } else if (o.connectionId().isEmpty()) {
      closes.race(
          RacePattern.CONNECTION_VALIDATION_WITHOUT_ID,
          c,
          "validation before the id was assigned: not yet");
    }
  }

  /** Acts on the verdict unless the connection is already ready or ending. */
  public void advance(Connection c) {
    synchronized (c) {
      if (c.state().isReady() || c.state().isEnding()) {
        return;
      }
      Verdict verdict = evaluate(c);
      if (verdict instanceof Verdict.Ready ready) {
        announce(c, ready);
      } else if (verdict instanceof Verdict.Never never) {
        refuse(c, never);
      }
    }
  }

  /**
   * A message arrived: handle it if ready, hold it if not yet (G2), count it if the connection is
   * gone. Under the connection's monitor, so held messages are always handled first.
   */
  public void receive(Connection c, String text) {
    synchronized (c) {
      if (c.state().isReady()) {
        dispatch.accept(c, text);
        return;
      }
      if (c.state().isEnding()) {
        closes.race(RacePattern.MESSAGE_AFTER_CLOSE, c, "state " + c.state());
        return;
      }
      Observation o = c.observe();
      Verdict verdict = ReadinessPolicy.decide(o, strictness, deadline);
      if (verdict instanceof Verdict.Ready ready) {
        announce(c, ready);
        dispatch.accept(c, text);
      } else if (verdict instanceof Verdict.NotYet notYet) {
        countValidationRaces(c, o);
        closes.race(
            RacePattern.MESSAGE_BEFORE_READY, c, "held, waiting for " + notYet.waitingFor());
        if (c.hold().offer(text)) {
          announce.accept(new ConnectionLifecycle.Held(c.logId()));
        } else {
          closes.close(c, CloseCode.TOO_MANY, CloseCode.TOO_MANY.reason(), false);
        }
      } else {
        refuse(c, (Verdict.Never) verdict);
      }
    }
  }

  private void announce(Connection c, Verdict.Ready ready) {
    if (!ready.degraded().isEmpty()) {
      c.degraded(ready.degraded());
      completeLocally.accept(c);
    }
    StreamSession session = c.session().orElseThrow();
    SessionGrant grant = c.grant().orElseThrow();
    List<String> degraded = ready.degraded().stream().map(SetupStep::wireName).toList();
    // Attached first, ready queued next, replay last: the session's seqs up to attached.lastSeq()
    // are what ready reports, and everything after the client's lastSeq follows it, in order.
    StreamSession.Attached attached = session.attach(feeds.subscriber(c), grant.replayAfter());
    c.outbound()
        .open(
            encoder.encode(
                new ServerMessage.Ready(
                    c.id().orElseThrow(),
                    session.id(),
                    session.resumeToken(),
                    grant.resumed(),
                    attached.lastSeq(),
                    heartbeatMs,
                    limits,
                    degraded,
                    attached.runs(),
                    grant.refused().map(ResumeOutcome::wireName),
                    attached.gap())));
    if (c.state().isEnding()) {
      // Sending ready failed at once (the client reset the connection during set-up): the
      // container reported the close on this thread, inside open(), and closed() has ended the
      // connection and detached its session already. It never became ready; there is nothing to
      // replay, and no ReadySent to apply to a closed connection (issue 12: counted as
      // invalid_state_transition before; the close is counted as close_during_initialization).
      return;
    }
    closes.transition(c, new ConnectionEvent.ReadySent());
    if (!attached.runs().isEmpty()) {
      closes.transition(c, new ConnectionEvent.RunStarted()); // the session's runs go on here
    }
    announce.accept(
        new ConnectionLifecycle.Ready(c.logId(), session.id(), c.sinceOpen(), degraded));
    feeds.attached(c, grant, attached);
    feeds.replay(c);
    for (String held : c.hold().release()) {
      dispatch.accept(c, held);
    }
  }

  private void refuse(Connection c, Verdict.Never never) {
    if (never.step() == null) {
      return;
    }
    if (never.cause() == Verdict.Cause.DEADLINE_EXCEEDED) {
      closes.race(
          RacePattern.READINESS_DEADLINE_EXCEEDED,
          c,
          "step " + never.step().wireName() + " unfinished after " + deadline);
    }
    closes.close(
        c, CloseCode.NOT_READY, CloseCode.NOT_READY.reason(never.step().wireName()), false);
  }
}
