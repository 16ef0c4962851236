package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.RacePattern;
import io.agentwire.readiness.entity.Strictness;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The send path: the token-expiry guard at send time, and the races a send reveals. */
class DeliveryTest {

  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final Duration SKEW = Duration.ofSeconds(60);

  private final List<ConnectionLifecycle.Race> races = new ArrayList<>();
  private final ClosePolicy closes =
      new ClosePolicy(
          Runnable::run,
          Strictness.STRICT,
          Duration.ofSeconds(25),
          e -> {
            if (e instanceof ConnectionLifecycle.Race race) {
              races.add(race);
            }
          });
  private final Delivery delivery =
      new Delivery(closes, Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC), SKEW);

  private Connection ready(FakeTransport t, Instant tokenExpiry) {
    return t.ready(closes, System::nanoTime, tokenExpiry);
  }

  @Test
  void sendsWhileTheTokenIsValidWithinItsSkew() {
    FakeTransport t = new FakeTransport();
    Connection c = ready(t, NOW.minus(SKEW));

    delivery.send(c, "{\"type\":\"pong\"}");

    assertThat(t.sent).containsExactly("{\"type\":\"ready\"}", "{\"type\":\"pong\"}");
    assertThat(t.closes).isEmpty();
  }

  @Test
  void sendsNothingAfterTheTokensEndAndClosesWith4401EvenBeforeTheSweeperDoes() {
    FakeTransport t = new FakeTransport();
    Connection c = ready(t, NOW.minus(SKEW).minusMillis(1));

    delivery.send(c, "{\"type\":\"agent_thinking\"}");

    assertThat(t.sent).containsExactly("{\"type\":\"ready\"}");
    assertThat(t.closeCodes()).containsExactly(4401);
    assertThat(t.closes.get(0).getReasonPhrase()).isEqualTo("unauthorized: token expired");
    assertThat(races)
        .extracting(ConnectionLifecycle.Race::pattern)
        .containsExactly(RacePattern.SEND_AFTER_CLOSE);
  }

  @Test
  void aSendBeforeReadyIsQueuedBehindItAndCounted() {
    FakeTransport t = new FakeTransport();
    Connection c = t.connection("token");
    closes.transition(c, new ConnectionEvent.Opened());

    delivery.send(c, "{\"type\":\"pong\"}");
    c.outbound().open("{\"type\":\"ready\"}");

    assertThat(t.sent).containsExactly("{\"type\":\"ready\"}", "{\"type\":\"pong\"}");
    assertThat(races)
        .extracting(ConnectionLifecycle.Race::pattern)
        .containsExactly(RacePattern.SEND_BEFORE_READY);
  }
}
