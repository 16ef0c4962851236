package io.agentwire.connection.entity;

import static io.agentwire.connection.entity.ConnectionState.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent.*;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConnectionStateMachineTest {

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-28T00:00:00Z"), ZoneOffset.UTC);

  /** One instance of every event type. */
  private static final List<ConnectionEvent> EVENTS =
      List.of(
          new Opened(),
          new Authenticated("alice"),
          new ServicesReady(),
          new ReadySent(),
          new RunStarted(),
          new RunsIdle(),
          new DrainStarted(),
          new CloseRequested(1000, ""),
          new Closed(1000),
          new Failed("x"));

  /** The expected table, written out independently of the implementation's. */
  private static final Map<ConnectionState, Map<String, ConnectionState>> EXPECTED =
      Map.of(
          CONNECTING,
              Map.of(
                  "Opened",
                  ACCEPTED,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          ACCEPTED,
              Map.of(
                  "Authenticated",
                  AUTHENTICATED,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          AUTHENTICATED,
              Map.of(
                  "ServicesReady",
                  SERVICES_READY,
                  "ReadySent",
                  READY,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          SERVICES_READY,
              Map.of(
                  "ReadySent",
                  READY,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          READY,
              Map.of(
                  "RunStarted",
                  PROCESSING,
                  "RunsIdle",
                  READY,
                  "DrainStarted",
                  DRAINING,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          PROCESSING,
              Map.of(
                  "RunStarted",
                  PROCESSING,
                  "RunsIdle",
                  READY,
                  "DrainStarted",
                  DRAINING,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          DRAINING,
              Map.of(
                  "RunStarted",
                  DRAINING,
                  "RunsIdle",
                  DRAINING,
                  "CloseRequested",
                  CLOSING,
                  "Closed",
                  CLOSED,
                  "Failed",
                  FAILED),
          CLOSING, Map.of("Closed", CLOSED, "Failed", FAILED),
          CLOSED, Map.of(),
          FAILED, Map.of("Closed", FAILED));

  static Stream<Arguments> everyStateAndEvent() {
    List<Arguments> all = new ArrayList<>();
    for (ConnectionState s : ConnectionState.values()) {
      for (ConnectionEvent e : EVENTS) {
        all.add(Arguments.of(s, e));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} + {1}")
  @MethodSource("everyStateAndEvent")
  void followsTheTransitionTable(ConnectionState from, ConnectionEvent event) {
    ConnectionStateMachine machine = machineIn(from);
    ConnectionState expected = EXPECTED.get(from).get(event.name());

    ConnectionStateMachine.Outcome outcome = machine.next(event);

    if (expected == null) {
      assertThat(outcome).isEqualTo(new ConnectionStateMachine.Outcome.Refused(from, event.name()));
      assertThat(machine.state()).as("an illegal event leaves the state alone").isEqualTo(from);
    } else {
      assertThat(outcome).isEqualTo(new ConnectionStateMachine.Outcome.Moved(from, expected));
      assertThat(machine.state()).isEqualTo(expected);
    }
  }

  @Test
  void recordsEveryTransitionInTheTimeline() {
    ConnectionStateMachine machine = new ConnectionStateMachine(CLOCK);
    machine.next(new Opened());
    machine.next(new Authenticated("alice"));
    machine.next(new ReadySent()); // illegal? no: AUTHENTICATED may go READY (degraded ready)
    machine.next(new Opened()); // illegal in READY: not recorded

    assertThat(machine.timeline())
        .extracting(ConnectionStateMachine.Transition::to)
        .containsExactly(CONNECTING, ACCEPTED, AUTHENTICATED, READY);
  }

  @Test
  void keepsSetUpAndTheMostRecentTransitionsOfALongLife() {
    ConnectionStateMachine machine = machineIn(READY);
    for (int i = 0; i < 10_000; i++) {
      machine.next(new RunStarted());
      machine.next(new RunsIdle());
    }
    List<ConnectionStateMachine.Transition> timeline = machine.timeline();

    assertThat(timeline)
        .hasSize(ConnectionStateMachine.TIMELINE_HEAD + ConnectionStateMachine.TIMELINE_TAIL);
    assertThat(timeline.subList(0, 4))
        .extracting(ConnectionStateMachine.Transition::to)
        .containsExactly(CONNECTING, ACCEPTED, AUTHENTICATED, READY);
    assertThat(timeline.get(timeline.size() - 1).event()).isEqualTo("RunsIdle");
  }

  @Test
  void statesCarryTheirPredicates() {
    assertThat(Stream.of(ConnectionState.values()).filter(ConnectionState::isSettingUp))
        .containsExactly(CONNECTING, ACCEPTED, AUTHENTICATED, SERVICES_READY);
    assertThat(Stream.of(ConnectionState.values()).filter(ConnectionState::isReady))
        .containsExactly(READY, PROCESSING, DRAINING);
    assertThat(Stream.of(ConnectionState.values()).filter(ConnectionState::isTerminal))
        .containsExactly(CLOSED, FAILED);
  }

  /** Drives a fresh machine into a state along legal transitions. */
  private static ConnectionStateMachine machineIn(ConnectionState target) {
    ConnectionStateMachine m = new ConnectionStateMachine(CLOCK);
    List<ConnectionEvent> path =
        switch (target) {
          case CONNECTING -> List.of();
          case ACCEPTED -> List.of(new Opened());
          case AUTHENTICATED -> List.of(new Opened(), new Authenticated("a"));
          case SERVICES_READY -> List.of(new Opened(), new Authenticated("a"), new ServicesReady());
          case READY -> List.of(new Opened(), new Authenticated("a"), new ReadySent());
          case PROCESSING ->
              List.of(new Opened(), new Authenticated("a"), new ReadySent(), new RunStarted());
          case DRAINING ->
              List.of(new Opened(), new Authenticated("a"), new ReadySent(), new DrainStarted());
          case CLOSING -> List.of(new Opened(), new CloseRequested(1000, ""));
          case CLOSED -> List.of(new Opened(), new Closed(1000));
          case FAILED -> List.of(new Opened(), new Failed("x"));
        };
    path.forEach(m::next);
    assertThat(m.state()).isEqualTo(target);
    return m;
  }
}
