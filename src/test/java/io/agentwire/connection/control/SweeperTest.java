package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.readiness.entity.Strictness;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The one timer of all connections, on a fake clock: each due time acts once, and only then. */
class SweeperTest {

  private static final Duration HEARTBEAT = Duration.ofSeconds(25);
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final ConnectionRegistry registry = new ConnectionRegistry(16);
  private final ClosePolicy closes =
      new ClosePolicy(Runnable::run, Strictness.STRICT, HEARTBEAT, e -> {});
  private final List<Connection> pastDeadline = new ArrayList<>();
  private final List<Connection> servicesRan = new ArrayList<>();
  private Consumer<Connection> onDeadline = pastDeadline::add;

  private Sweeper sweeper() {
    return new Sweeper(
        registry,
        closes,
        c -> onDeadline.accept(c),
        servicesRan::add,
        c -> {},
        Runnable::run,
        Clock.fixed(NOW, ZoneOffset.UTC),
        DEADLINE,
        HEARTBEAT,
        Duration.ofSeconds(60));
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  /** A registered, ready connection. */
  private Connection ready(FakeTransport t) {
    Connection c = t.ready(closes, nanos::get, NOW.plus(Duration.ofHours(1)));
    registry.opened(c);
    return c;
  }

  @Test
  void pingsOncePerHeartbeatIntervalWhileTheClientTalks() {
    FakeTransport t = new FakeTransport();
    Connection c = ready(t);
    Sweeper sweeper = sweeper();

    sweeper.run();
    assertThat(t.pings).hasValue(0);
    advance(HEARTBEAT);
    c.traffic();
    sweeper.run();
    sweeper.run();
    assertThat(t.pings).hasValue(1);
    advance(HEARTBEAT);
    c.traffic();
    sweeper.run();
    assertThat(t.pings).hasValue(2);
    assertThat(t.closes).isEmpty();
  }

  @Test
  void closesAConnectionSilentForTwoIntervalsWith1001() {
    FakeTransport t = new FakeTransport();
    ready(t);
    Sweeper sweeper = sweeper();

    advance(HEARTBEAT.multipliedBy(2).minusNanos(1));
    sweeper.run();
    assertThat(t.closes).isEmpty();
    advance(Duration.ofNanos(1));
    sweeper.run();
    assertThat(t.closeCodes()).containsExactly(1001);
    assertThat(t.closes.get(0).getReasonPhrase()).isEqualTo("idle");
  }

  @Test
  void closesWith4401WhenTheTokenExpiresWhileOpen() {
    FakeTransport t = new FakeTransport();
    Connection c = ready(t);
    c.authenticated("alice", Set.of(), NOW.minus(Duration.ofSeconds(61)));

    sweeper().run();

    assertThat(t.closeCodes()).containsExactly(4401);
    assertThat(t.closes.get(0).getReasonPhrase()).isEqualTo("unauthorized: token expired");
  }

  @Test
  void asksForTheVerdictOfAConnectionNotReadyByTheDeadline() {
    Connection c = new FakeTransport().connection("token", nanos::get);
    registry.opened(c);
    closes.transition(c, new ConnectionEvent.Opened());
    Sweeper sweeper = sweeper();

    advance(DEADLINE.minusNanos(1));
    sweeper.run();
    assertThat(pastDeadline).isEmpty();
    advance(Duration.ofNanos(1));
    sweeper.run();
    assertThat(pastDeadline).containsExactly(c);
  }

  @Test
  void runsDelayedSetUpStepsOnceWhenDue() {
    Connection c = new FakeTransport().connection("token", nanos::get);
    registry.opened(c);
    closes.transition(c, new ConnectionEvent.Opened());
    c.servicesAfter(Duration.ofSeconds(2));
    Sweeper sweeper = sweeper();

    sweeper.run();
    assertThat(servicesRan).isEmpty();
    advance(Duration.ofSeconds(2));
    sweeper.run();
    sweeper.run();
    assertThat(servicesRan).containsExactly(c);
  }

  @Test
  void forcesAWaitingCloseOnceAfterItsDelay() {
    Connection c = ready(new FakeTransport());
    List<String> forced = new ArrayList<>();
    c.forceCloseAfter(HEARTBEAT, () -> forced.add("closed"));
    Sweeper sweeper = sweeper();

    sweeper.run();
    assertThat(forced).isEmpty();
    advance(HEARTBEAT);
    c.traffic();
    sweeper.run();
    sweeper.run();
    assertThat(forced).containsExactly("closed");
  }

  @Test
  void aCheckThatThrowsClosesThatConnectionWith1011AndTheSweepGoesOn() {
    FakeTransport broken = new FakeTransport();
    FakeTransport healthy = new FakeTransport();
    Connection failing = broken.connection("token", nanos::get);
    registry.opened(failing);
    closes.transition(failing, new ConnectionEvent.Opened());
    Connection fine = healthy.connection("token", nanos::get);
    registry.opened(fine);
    closes.transition(fine, new ConnectionEvent.Opened());
    onDeadline =
        c -> {
          if (c == failing) {
            throw new IllegalStateException("boom");
          }
          pastDeadline.add(c);
        };

    advance(DEADLINE);
    sweeper().run();

    assertThat(broken.closeCodes()).containsExactly(1011);
    assertThat(broken.closes.get(0).getReasonPhrase())
        .matches("internal error, incident [0-9a-f]{8}");
    assertThat(pastDeadline).containsExactly(fine);
  }

  @Test
  void aClosedConnectionIsNotSweptAnyMore() {
    FakeTransport t = new FakeTransport();
    Connection c = ready(t);
    registry.closed(t.id());

    advance(HEARTBEAT.multipliedBy(3));
    sweeper().run();

    assertThat(t.pings).hasValue(0);
    assertThat(t.closes).isEmpty();
    assertThat(c.state().isReady()).isTrue();
  }

  @Test
  void aCloseRequestedWhileTheContainerIsStillOpeningGoesOutAtTheFirstSweepAfterward() {
    FakeTransport t = new FakeTransport();
    Connection c = t.unsettled(nanos::get);
    registry.opened(c);
    closes.transition(c, new ConnectionEvent.Opened());
    Sweeper sweeper = sweeper();

    closes.close(
        c, io.agentwire.connection.entity.CloseCode.UNAUTHORIZED, "unauthorized: x", false);
    sweeper.run();
    assertThat(t.closes).as("still inside the container's open callback").isEmpty();

    c.openReturned();
    sweeper.run();
    assertThat(t.closeCodes()).containsExactly(4401);
    sweeper.run();
    assertThat(t.closeCodes()).as("once").containsExactly(4401);
  }
}
