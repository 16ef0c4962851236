package io.agentwire.connection.control;

import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.Observation;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.connection.entity.Verdict;
import io.agentwire.readiness.entity.Strictness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The readiness verdict: ready, not yet or never, from an observation of a connection. It replaces
 * the original boolean {@code is_websocket_connected_and_ready()}, which answered "no" for
 * connections that were merely still setting up (G3).
 */
public final class ReadinessPolicy {

  private ReadinessPolicy() {}

  public static Verdict decide(Observation o, Strictness strictness, Duration deadline) {
    if (!o.transportOpen()) {
      return new Verdict.Never(null, Verdict.Cause.GONE);
    }
    Optional<ConnectionState> state = o.state();
    if (state.isPresent() && state.get().isEnding()) {
      return new Verdict.Never(null, Verdict.Cause.GONE);
    }
    if (state.isPresent() && state.get().isReady()) {
      return new Verdict.Ready(List.of());
    }
    List<SetupStep> unfinished = unfinished(o);
    boolean authenticated = o.finished().contains(SetupStep.AUTHENTICATION);
    if (o.failed().isPresent()) {
      SetupStep failed = o.failed().get();
      if (failed != SetupStep.AUTHENTICATION && strictness.acceptsDegraded() && authenticated) {
        return new Verdict.Ready(unfinished);
      }
      return new Verdict.Never(failed, Verdict.Cause.STEP_FAILED);
    }
    if (state.isPresent() && o.connectionId().isPresent() && unfinished.isEmpty()) {
      return new Verdict.Ready(List.of());
    }
    if (o.sinceOpen().compareTo(deadline) < 0) {
      if (state.isEmpty()) {
        return new Verdict.NotYet("state machine");
      }
      return new Verdict.NotYet(unfinished.get(0).wireName());
    }
    if (state.isPresent() && strictness.acceptsDegraded() && authenticated) {
      return new Verdict.Ready(unfinished);
    }
    SetupStep late = unfinished.isEmpty() ? SetupStep.AUTHENTICATION : unfinished.get(0);
    return new Verdict.Never(late, Verdict.Cause.DEADLINE_EXCEEDED);
  }

  /** Steps not finished; registration counts as unfinished while there is no connection id. */
  static List<SetupStep> unfinished(Observation o) {
    List<SetupStep> steps = new ArrayList<>();
    for (SetupStep step : SetupStep.values()) {
      boolean done = o.finished().contains(step);
      if (step == SetupStep.REGISTRATION) {
        done = done && o.connectionId().isPresent();
      }
      if (!done) {
        steps.add(step);
      }
    }
    return steps;
  }
}
