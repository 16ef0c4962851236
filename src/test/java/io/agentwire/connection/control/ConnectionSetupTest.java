package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.readiness.entity.Strictness;
import io.agentwire.security.entity.TokenVerdict;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.StreamSession;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Every set-up step end to end, without a container: executor inline, verifier a function. */
class ConnectionSetupTest {

  private final AtomicLong nanos = new AtomicLong();
  private final ConnectionRegistry registry = new ConnectionRegistry(1);
  private final ClosePolicy closes =
      new ClosePolicy(Runnable::run, Strictness.STRICT, Duration.ofSeconds(25), e -> {});
  private final List<Connection> advanced = new ArrayList<>();
  private Optional<String> refusal = Optional.empty();

  private static TokenVerdict alice(String token) {
    return new TokenVerdict.Verified("alice", Set.of(), Instant.now().plusSeconds(3600));
  }

  private ConnectionSetup setup(Function<String, TokenVerdict> verifier, Duration initDelay) {
    ConnectionSetup setup =
        new ConnectionSetup(
            Runnable::run,
            verifier,
            registry,
            closes,
            request ->
                SessionGrant.fresh(
                    new StreamSession(
                        "s-" + nanos.incrementAndGet(), request.subject(), "rt", 100)),
            () -> refusal,
            initDelay);
    setup.advanceWith(advanced::add);
    return setup;
  }

  private Connection opened(FakeTransport t) {
    Connection c = t.connection("the-token", nanos::get);
    registry.opened(c);
    closes.transition(c, new ConnectionEvent.Opened());
    return c;
  }

  @Test
  void finishesEveryStepPublishesTheConnectionAndAsksTheGate() {
    FakeTransport t = new FakeTransport();
    Connection c = opened(t);
    List<String> tokens = new ArrayList<>();

    setup(
            token -> {
              tokens.add(token);
              return alice(token);
            },
            Duration.ZERO)
        .begin(c);

    assertThat(tokens).containsExactly("the-token");
    assertThat(c.takeToken()).as("the token is not kept").isNull();
    assertThat(c.state()).isEqualTo(ConnectionState.SERVICES_READY);
    assertThat(c.observe().finished()).containsExactlyInAnyOrder(SetupStep.values());
    assertThat(registry.byId(c.id().orElseThrow())).contains(c);
    assertThat(registry.bySession(c.session().orElseThrow().id()))
        .as("the connection holds its session from ready on, when the gate attaches it")
        .isEmpty();
    assertThat(advanced).containsExactly(c);
    assertThat(t.closes).isEmpty();
  }

  @Test
  void refusesWith1013WhileTheInstanceIsStarting() {
    FakeTransport t = new FakeTransport();
    refusal = Optional.of("starting");

    setup(ConnectionSetupTest::alice, Duration.ZERO).begin(opened(t));

    assertThat(t.closeCodes()).containsExactly(1013);
    assertThat(t.closes.get(0).getReasonPhrase()).isEqualTo("not ready: starting");
  }

  @Test
  void closesWith4401NamingWhyTheTokenWasRejected() {
    FakeTransport t = new FakeTransport();
    Connection c = opened(t);

    setup(token -> new TokenVerdict.Rejected("expired"), Duration.ZERO).begin(c);

    assertThat(t.closeCodes()).containsExactly(4401);
    assertThat(t.closes.get(0).getReasonPhrase()).isEqualTo("unauthorized: expired");
    assertThat(c.observe().failed()).contains(SetupStep.AUTHENTICATION);
    assertThat(c.id()).isEmpty();
  }

  @Test
  void closesWith4429OverThePerSubjectLimit() {
    ConnectionSetup setup = setup(ConnectionSetupTest::alice, Duration.ZERO);
    FakeTransport first = new FakeTransport();
    FakeTransport second = new FakeTransport();
    setup.begin(opened(first));
    setup.begin(opened(second));

    assertThat(first.closes).isEmpty();
    assertThat(second.closeCodes()).containsExactly(4429);
    assertThat(second.closes.get(0).getReasonPhrase()).isEqualTo("too many connections");
  }

  @Test
  void anExceptionInAStepClosesWith1011AndAnIncidentIdInsteadOfWaitingForTheDeadline() {
    FakeTransport t = new FakeTransport();

    setup(
            token -> {
              throw new IllegalStateException("verifier broke");
            },
            Duration.ZERO)
        .begin(opened(t));

    assertThat(t.closeCodes()).containsExactly(1011);
    assertThat(t.closes.get(0).getReasonPhrase()).matches("internal error, incident [0-9a-f]{8}");
  }

  @Test
  void holdsTheServicesStepsBackByTheInitDelayUntilTheSweeperRunsThem() {
    Connection c = opened(new FakeTransport());
    ConnectionSetup setup = setup(ConnectionSetupTest::alice, Duration.ofSeconds(2));

    setup.begin(c);
    assertThat(c.state()).isEqualTo(ConnectionState.AUTHENTICATED);
    assertThat(c.servicesDue()).isFalse();
    assertThat(c.id()).isEmpty();

    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(c.servicesDue()).isTrue();
    setup.servicesDue(c);
    assertThat(c.state()).isEqualTo(ConnectionState.SERVICES_READY);
    assertThat(c.id()).isPresent();
  }

  @Test
  void aConnectionClosedDuringSetUpIsNeverPublished() {
    FakeTransport t = new FakeTransport();
    Connection c = opened(t);
    ConnectionSetup setup = setup(ConnectionSetupTest::alice, Duration.ofSeconds(2));
    setup.begin(c);
    closes.transition(c, new ConnectionEvent.Closed(1006));
    registry.closed(t.id());

    nanos.addAndGet(Duration.ofSeconds(2).toNanos());
    setup.servicesDue(c);

    assertThat(c.id()).isEmpty();
    assertThat(c.session()).isEmpty();
    assertThat(registry.size()).isZero();
  }
}
