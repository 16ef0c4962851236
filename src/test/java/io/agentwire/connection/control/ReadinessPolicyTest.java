package io.agentwire.connection.control;

import static io.agentwire.connection.entity.SetupStep.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.Observation;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.connection.entity.Verdict;
import io.agentwire.connection.entity.Verdict.Cause;
import io.agentwire.readiness.entity.Strictness;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The verdict over every strictness mode and every situation of a connection's set-up. */
class ReadinessPolicyTest {

  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final Duration EARLY = Duration.ofMillis(100);
  private static final Duration LATE_BUT_WITHIN = Duration.ofMillis(4_900);
  private static final Duration PAST = Duration.ofSeconds(6);
  private static final Set<SetupStep> ALL = EnumSet.allOf(SetupStep.class);
  private static final Set<SetupStep> AUTH_ONLY = EnumSet.of(AUTHENTICATION);

  private static final Verdict READY = new Verdict.Ready(List.of());
  private static final Verdict DEGRADED =
      new Verdict.Ready(List.of(REGISTRATION, OUTBOUND, SESSION));

  record Situation(String name, Observation observation) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Observation obs(
      Optional<ConnectionState> state,
      Optional<String> id,
      Set<SetupStep> done,
      Optional<SetupStep> failed,
      Duration since) {
    return new Observation(
        true,
        state,
        id,
        done.isEmpty() ? EnumSet.noneOf(SetupStep.class) : EnumSet.copyOf(done),
        failed,
        since);
  }

  static final Optional<ConnectionState> ACCEPTED = Optional.of(ConnectionState.ACCEPTED);
  static final Optional<ConnectionState> AUTHENTICATED = Optional.of(ConnectionState.AUTHENTICATED);
  static final Optional<ConnectionState> SERVICES = Optional.of(ConnectionState.SERVICES_READY);
  static final Optional<String> ID = Optional.of("c-1");

  /** situation, then the expected verdict in permissive, balanced, strict. */
  static Stream<Arguments> matrix() {
    return Stream.of(
        row(
            "no state machine yet",
            obs(Optional.empty(), Optional.empty(), Set.of(), Optional.empty(), EARLY),
            new Verdict.NotYet("state machine"),
            new Verdict.NotYet("state machine"),
            new Verdict.NotYet("state machine")),
        row(
            "no id yet",
            obs(AUTHENTICATED, Optional.empty(), AUTH_ONLY, Optional.empty(), EARLY),
            new Verdict.NotYet("registration"),
            new Verdict.NotYet("registration"),
            new Verdict.NotYet("registration")),
        row(
            "authentication in progress",
            obs(ACCEPTED, Optional.empty(), Set.of(), Optional.empty(), EARLY),
            new Verdict.NotYet("authentication"),
            new Verdict.NotYet("authentication"),
            new Verdict.NotYet("authentication")),
        row(
            "set-up in progress",
            obs(
                AUTHENTICATED,
                ID,
                EnumSet.of(AUTHENTICATION, REGISTRATION),
                Optional.empty(),
                EARLY),
            new Verdict.NotYet("outbound"),
            new Verdict.NotYet("outbound"),
            new Verdict.NotYet("outbound")),
        row(
            "set-up late but within the deadline",
            obs(AUTHENTICATED, Optional.empty(), AUTH_ONLY, Optional.empty(), LATE_BUT_WITHIN),
            new Verdict.NotYet("registration"),
            new Verdict.NotYet("registration"),
            new Verdict.NotYet("registration")),
        row(
            "set-up complete",
            obs(SERVICES, ID, ALL, Optional.empty(), EARLY),
            READY,
            READY,
            READY),
        row(
            "set-up complete, checked past the deadline",
            obs(SERVICES, ID, ALL, Optional.empty(), PAST),
            READY,
            READY,
            READY),
        row(
            "past the deadline, authenticated",
            obs(AUTHENTICATED, Optional.empty(), AUTH_ONLY, Optional.empty(), PAST),
            DEGRADED,
            new Verdict.Never(REGISTRATION, Cause.DEADLINE_EXCEEDED),
            new Verdict.Never(REGISTRATION, Cause.DEADLINE_EXCEEDED)),
        row(
            "past the deadline, not authenticated",
            obs(ACCEPTED, Optional.empty(), Set.of(), Optional.empty(), PAST),
            new Verdict.Never(AUTHENTICATION, Cause.DEADLINE_EXCEEDED),
            new Verdict.Never(AUTHENTICATION, Cause.DEADLINE_EXCEEDED),
            new Verdict.Never(AUTHENTICATION, Cause.DEADLINE_EXCEEDED)),
        row(
            "past the deadline, no state machine",
            obs(Optional.empty(), Optional.empty(), Set.of(), Optional.empty(), PAST),
            new Verdict.Never(AUTHENTICATION, Cause.DEADLINE_EXCEEDED),
            new Verdict.Never(AUTHENTICATION, Cause.DEADLINE_EXCEEDED),
            new Verdict.Never(AUTHENTICATION, Cause.DEADLINE_EXCEEDED)),
        row(
            "session step failed",
            obs(
                AUTHENTICATED,
                ID,
                EnumSet.of(AUTHENTICATION, REGISTRATION, OUTBOUND),
                Optional.of(SESSION),
                EARLY),
            new Verdict.Ready(List.of(SESSION)),
            new Verdict.Never(SESSION, Cause.STEP_FAILED),
            new Verdict.Never(SESSION, Cause.STEP_FAILED)),
        row(
            "authentication failed",
            obs(ACCEPTED, Optional.empty(), Set.of(), Optional.of(AUTHENTICATION), EARLY),
            new Verdict.Never(AUTHENTICATION, Cause.STEP_FAILED),
            new Verdict.Never(AUTHENTICATION, Cause.STEP_FAILED),
            new Verdict.Never(AUTHENTICATION, Cause.STEP_FAILED)),
        row(
            "closing",
            obs(Optional.of(ConnectionState.CLOSING), ID, ALL, Optional.empty(), EARLY),
            new Verdict.Never(null, Cause.GONE),
            new Verdict.Never(null, Cause.GONE),
            new Verdict.Never(null, Cause.GONE)),
        row(
            "closed",
            obs(Optional.of(ConnectionState.CLOSED), ID, ALL, Optional.empty(), EARLY),
            new Verdict.Never(null, Cause.GONE),
            new Verdict.Never(null, Cause.GONE),
            new Verdict.Never(null, Cause.GONE)),
        row(
            "transport closed during set-up",
            new Observation(false, ACCEPTED, Optional.empty(), Set.of(), Optional.empty(), EARLY),
            new Verdict.Never(null, Cause.GONE),
            new Verdict.Never(null, Cause.GONE),
            new Verdict.Never(null, Cause.GONE)),
        row(
            "ready",
            obs(Optional.of(ConnectionState.READY), ID, ALL, Optional.empty(), PAST),
            READY,
            READY,
            READY));
  }

  static Arguments row(
      String name, Observation o, Verdict permissive, Verdict balanced, Verdict strict) {
    return Arguments.of(new Situation(name, o), permissive, balanced, strict);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("matrix")
  void answersPerStrictness(Situation s, Verdict permissive, Verdict balanced, Verdict strict) {
    assertThat(ReadinessPolicy.decide(s.observation(), Strictness.PERMISSIVE, DEADLINE))
        .as("permissive")
        .isEqualTo(permissive);
    assertThat(ReadinessPolicy.decide(s.observation(), Strictness.BALANCED, DEADLINE))
        .as("balanced")
        .isEqualTo(balanced);
    assertThat(ReadinessPolicy.decide(s.observation(), Strictness.STRICT, DEADLINE))
        .as("strict")
        .isEqualTo(strict);
  }

  /** Regression: the original check answered "no" here, in staging and production. */
  @ParameterizedTest
  @MethodSource("strictnesses")
  void validationBeforeTheConnectionIdExistsAnswersNotYet(Strictness strictness) {
    Observation noIdYet =
        obs(AUTHENTICATED, Optional.empty(), AUTH_ONLY, Optional.empty(), Duration.ofSeconds(2));

    assertThat(ReadinessPolicy.decide(noIdYet, strictness, DEADLINE))
        .isEqualTo(new Verdict.NotYet("registration"));
  }

  static Stream<Strictness> strictnesses() {
    return Stream.of(Strictness.values());
  }

  @Test
  void setUpThatTakesTwoSecondsIsNotRefusedInStagingOrProductionDefaults() {
    Observation twoSecondsIn =
        obs(AUTHENTICATED, Optional.empty(), AUTH_ONLY, Optional.empty(), Duration.ofSeconds(2));
    assertThat(ReadinessPolicy.decide(twoSecondsIn, Strictness.BALANCED, Duration.ofSeconds(10)))
        .isInstanceOf(Verdict.NotYet.class);
    assertThat(ReadinessPolicy.decide(twoSecondsIn, Strictness.STRICT, Duration.ofSeconds(5)))
        .isInstanceOf(Verdict.NotYet.class);
  }
}
