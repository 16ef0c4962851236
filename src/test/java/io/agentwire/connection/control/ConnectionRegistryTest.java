package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.readiness.entity.Strictness;
import io.agentwire.session.entity.StreamSession;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Lookups, per-subject admission, and that a closed connection is in none of them. */
class ConnectionRegistryTest {

  private final ConnectionRegistry registry = new ConnectionRegistry(2);
  private final ClosePolicy closes =
      new ClosePolicy(Runnable::run, Strictness.BALANCED, Duration.ofSeconds(25), e -> {});

  private Connection opened() {
    Connection c = new FakeTransport().connection("token");
    registry.opened(c);
    closes.transition(c, new ConnectionEvent.Opened());
    return c;
  }

  /** As set-up does: the subject is known before admission. */
  private boolean admit(Connection c, String subject) {
    c.authenticated(subject, Set.of(), Instant.now().plusSeconds(3600));
    return registry.admit(c, subject);
  }

  @Test
  void admitsUpToTheLimitPerSubjectAndAgainAfterAClose() {
    Connection a = opened();
    Connection b = opened();
    Connection c = opened();

    assertThat(admit(a, "alice")).isTrue();
    assertThat(admit(b, "alice")).isTrue();
    assertThat(admit(c, "alice")).isFalse();
    assertThat(admit(c, "bob")).as("another subject").isTrue();

    registry.closed(a.socket().id());
    Connection d = opened();
    assertThat(admit(d, "alice")).isTrue();
    assertThat(registry.admitted("alice")).isEqualTo(2);
  }

  @Test
  void aClosedConnectionIsInNoLookupAndOnlyItsSummaryRemains() {
    Connection c = opened();
    admit(c, "alice");
    c.assignId("c-1");
    registry.identified(c, "c-1");
    c.attach(new StreamSession("s-1", "alice", "rt", 10));
    registry.holds(c, "s-1");
    assertThat(registry.byId("c-1")).contains(c);
    assertThat(registry.bySession("s-1")).contains(c);

    assertThat(registry.closed(c.socket().id())).contains(c);
    registry.remember(c.summary());

    assertThat(registry.bySocket(c.socket().id())).isEmpty();
    assertThat(registry.byId("c-1")).isEmpty();
    assertThat(registry.bySession("s-1")).isEmpty();
    assertThat(registry.admitted("alice")).isZero();
    assertThat(registry.size()).isZero();
    assertThat(registry.recentlyClosed("c-1"))
        .get()
        .extracting(s -> s.connectionId())
        .isEqualTo("c-1");
    assertThat(registry.closed(c.socket().id())).as("closed twice").isEmpty();
  }

  @Test
  void admissionOfAConnectionClosedMeanwhileIsUndone() {
    Connection c = opened();
    registry.closed(c.socket().id());

    assertThat(admit(c, "alice")).isFalse();
    assertThat(registry.admitted("alice")).isZero();
  }

  @Test
  void remembersOnlyTheMostRecentlyClosed() {
    for (int i = 0; i < ConnectionRegistry.RECENTLY_CLOSED + 10; i++) {
      Connection c = opened();
      c.assignId("c-" + i);
      registry.closed(c.socket().id());
      registry.remember(c.summary());
    }
    assertThat(registry.recentlyClosed("c-0")).isEmpty();
    assertThat(registry.recentlyClosed("c-" + (ConnectionRegistry.RECENTLY_CLOSED + 9)))
        .isPresent();
  }
}
