package io.agentwire.connection.entity;

import static io.agentwire.connection.entity.ConnectionState.*;

import io.agentwire.connection.entity.ConnectionEvent.*;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The life of one connection as a table of allowed transitions and one transition function. An
 * event not allowed in the current state is refused and leaves the state unchanged; the caller
 * counts it as the race pattern {@code invalid_state_transition}.
 */
public final class ConnectionStateMachine {

  /** One step of the timeline shown in diagnostics. */
  public record Transition(ConnectionState from, ConnectionState to, String event, Instant at)
      implements java.io.Serializable {}

  /** What {@link #next} did. */
  public sealed interface Outcome {
    record Moved(ConnectionState from, ConnectionState to) implements Outcome {}

    record Refused(ConnectionState state, String event) implements Outcome {}
  }

  /** state → event type → next state. Anything absent is illegal. */
  static final Map<ConnectionState, Map<Class<? extends ConnectionEvent>, ConnectionState>> TABLE =
      Map.of(
          CONNECTING,
              Map.of(
                  Opened.class,
                  ACCEPTED,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          ACCEPTED,
              Map.of(
                  Authenticated.class,
                  AUTHENTICATED,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          AUTHENTICATED,
              Map.of(
                  ServicesReady.class,
                  SERVICES_READY,
                  ReadySent.class,
                  READY,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          SERVICES_READY,
              Map.of(
                  ReadySent.class,
                  READY,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          READY,
              Map.of(
                  RunStarted.class,
                  PROCESSING,
                  RunsIdle.class,
                  READY,
                  DrainStarted.class,
                  DRAINING,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          PROCESSING,
              Map.of(
                  RunStarted.class,
                  PROCESSING,
                  RunsIdle.class,
                  READY,
                  DrainStarted.class,
                  DRAINING,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          DRAINING,
              Map.of(
                  RunStarted.class,
                  DRAINING,
                  RunsIdle.class,
                  DRAINING,
                  CloseRequested.class,
                  CLOSING,
                  Closed.class,
                  CLOSED,
                  Failed.class,
                  FAILED),
          CLOSING, Map.of(Closed.class, CLOSED, Failed.class, FAILED),
          CLOSED, Map.of(),
          FAILED, Map.of(Closed.class, FAILED));

  /** The timeline keeps set-up (the first entries) and the most recent ones: runs add two each. */
  static final int TIMELINE_HEAD = 8;

  static final int TIMELINE_TAIL = 120;

  private final Clock clock;
  private final List<Transition> timeline = new ArrayList<>();
  private final java.util.ArrayDeque<Transition> recent = new java.util.ArrayDeque<>();
  private ConnectionState state = CONNECTING;

  public ConnectionStateMachine(Clock clock) {
    this.clock = clock;
    record(new Transition(null, CONNECTING, "Created", clock.instant()));
  }

  private void record(Transition t) {
    if (timeline.size() < TIMELINE_HEAD) {
      timeline.add(t);
      return;
    }
    recent.addLast(t);
    if (recent.size() > TIMELINE_TAIL) {
      recent.removeFirst();
    }
  }

  /** The single transition function. */
  public synchronized Outcome next(ConnectionEvent event) {
    ConnectionState target = TABLE.get(state).get(event.getClass());
    if (target == null) {
      return new Outcome.Refused(state, event.name());
    }
    ConnectionState from = state;
    state = target;
    record(new Transition(from, target, event.name(), clock.instant()));
    return new Outcome.Moved(from, target);
  }

  public synchronized ConnectionState state() {
    return state;
  }

  /** Set-up and the most recent transitions, oldest first. */
  public synchronized List<Transition> timeline() {
    List<Transition> all = new ArrayList<>(timeline);
    all.addAll(recent);
    return List.copyOf(all);
  }
}
