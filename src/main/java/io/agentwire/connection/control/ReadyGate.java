package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ServerMessages;
import io.agentwire.diagnostics.control.RacePattern;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.readiness.control.ReadinessPolicy;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.readiness.entity.Observation;
import io.agentwire.readiness.entity.SetupStep;
import io.agentwire.readiness.entity.Verdict;
import io.agentwire.session.entity.StreamSession;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * Decides, whenever something happens to a connection (a set-up step ends, the deadline passes, a
 * message arrives), whether it is ready, not yet ready, or never will be, and acts on the answer:
 * announce {@code ready} and release the hold, wait, or close with the code of PROTOCOL section 8.
 * Nothing polls: every call is caused by an event.
 */
@ApplicationScoped
public class ReadyGate {

  @Inject ReadinessSettings readiness;
  @Inject ConnectionSettings settings;
  @Inject Telemetry telemetry;
  @Inject Connections connections;
  @Inject MessageDispatch dispatch;

  /** The verdict for a connection. */
  public Verdict evaluate(Connection c) {
    return ReadinessPolicy.decide(c.observe(), readiness.strictness(), readiness.deadline());
  }

  /**
   * Counts the set-up races that a validation from outside set-up (a message arriving) reveals: the
   * original failure was exactly such a validation answered "no" instead of "not yet".
   */
  private void countValidationRaces(Connection c, Observation o) {
    if (o.state().isEmpty()) {
      telemetry.race(
          RacePattern.MISSING_STATE_MACHINE_DURING_CONNECTION_VALIDATION,
          c.logId(),
          "validation during set-up: not yet");
    } else if (o.connectionId().isEmpty()) {
      telemetry.race(
          RacePattern.CONNECTION_VALIDATION_WITHOUT_ID,
          c.logId(),
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
        dispatch.handle(c, text);
        return;
      }
      if (c.state().isEnding()) {
        telemetry.race(RacePattern.MESSAGE_AFTER_CLOSE, c.logId(), "state " + c.state());
        return;
      }
      Observation o = c.observe();
      Verdict verdict = ReadinessPolicy.decide(o, readiness.strictness(), readiness.deadline());
      if (verdict instanceof Verdict.Ready ready) {
        announce(c, ready);
        dispatch.handle(c, text);
      } else if (verdict instanceof Verdict.NotYet notYet) {
        countValidationRaces(c, o);
        telemetry.race(
            RacePattern.MESSAGE_BEFORE_READY,
            c.logId(),
            "held, waiting for " + notYet.waitingFor());
        if (c.hold().offer(text)) {
          telemetry.held();
        } else {
          connections.close(c, CloseCode.TOO_MANY, CloseCode.TOO_MANY.reason(), false);
        }
      } else {
        refuse(c, (Verdict.Never) verdict);
      }
    }
  }

  private void announce(Connection c, Verdict.Ready ready) {
    if (!ready.degraded().isEmpty()) {
      // Permissive only: steps that missed the deadline are completed in their local form now,
      // so that ready can name an id and a session; the client learns which ones via degraded.
      c.degraded(ready.degraded());
      connections.register(c);
      connections.attachSession(c);
    }
    StreamSession session = c.session().orElseThrow();
    c.outbound()
        .open(
            ServerMessages.ready(
                c.id().orElseThrow(),
                session.id(),
                session.resumeToken(),
                false,
                session.lastSeq(),
                settings.heartbeat().toMillis(),
                new ServerMessages.Limits(
                    settings.maxMessageBytes(),
                    readiness.holdMaxMessages(),
                    settings.runsPerConnection(),
                    settings.messagesPerSecond()),
                ready.degraded().stream().map(SetupStep::wireName).toList(),
                Optional.empty()));
    connections.transition(c, new ConnectionEvent.ReadySent());
    telemetry.ready(c.sinceOpen());
    for (String held : c.hold().release()) {
      dispatch.handle(c, held);
    }
  }

  private void refuse(Connection c, Verdict.Never never) {
    if (never.step() == null) {
      return;
    }
    if (never.cause() == Verdict.Cause.DEADLINE_EXCEEDED) {
      telemetry.race(
          RacePattern.READINESS_DEADLINE_EXCEEDED,
          c.logId(),
          "step " + never.step().wireName() + " unfinished after " + readiness.deadline());
    }
    connections.close(
        c, CloseCode.NOT_READY, CloseCode.NOT_READY.reason(never.step().wireName()), false);
  }
}
