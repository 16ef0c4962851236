package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.readiness.entity.Strictness;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The gate on its own: ready first, held messages right after it in order, never refused early. */
class ReadyGateTest {

  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final AtomicLong nanos = new AtomicLong();
  private final List<ConnectionLifecycle> announced = new ArrayList<>();
  private final List<String> handled = new ArrayList<>();
  private final List<Connection> completedLocally = new ArrayList<>();

  private ReadyGate gate(Strictness strictness, ClosePolicy closes) {
    return new ReadyGate(
        strictness,
        DEADLINE,
        new ServerMessage.Limits(65536, 4, 4, 50),
        25_000,
        new ServerMessageEncoder(),
        closes,
        c -> {
          completedLocally.add(c);
          c.assignId("late-id");
          c.attach(new StreamSession("late-session", "alice", "rt", 10));
        },
        (c, text) -> {
          // What the dispatcher would send: the answer goes out after everything before it.
          handled.add(text);
          c.outbound().offer("{\"type\":\"pong\",\"of\":" + text + "}");
        },
        announced::add,
        new ReadyGate.Feeds() {
          @Override
          public StreamSession.Subscriber subscriber(Connection c) {
            String holder = c.id().orElseThrow();
            return new StreamSession.Subscriber() {
              @Override
              public String holder() {
                return holder;
              }

              @Override
              public void send(String text) {
                c.outbound().offer(text);
              }

              @Override
              public boolean offer(String text) {
                return c.outbound().offerIfRoom(text, () -> replay(c));
              }

              @Override
              public void fellBehind() {}
            };
          }

          @Override
          public void attached(Connection c, SessionGrant grant, StreamSession.Attached attached) {}

          @Override
          public void replay(Connection c) {
            c.session().ifPresent(s -> s.pull(c.id().orElseThrow()));
          }
        });
  }

  private ClosePolicy closes(Strictness strictness) {
    return new ClosePolicy(Runnable::run, strictness, Duration.ofSeconds(25), announced::add);
  }

  private Connection authenticated(FakeTransport t, ClosePolicy closes) {
    Connection c = t.connection("token", nanos::get);
    closes.transition(c, new ConnectionEvent.Opened());
    c.authenticated("alice", Set.of(), Instant.now().plusSeconds(3600));
    closes.transition(c, new ConnectionEvent.Authenticated("alice"));
    c.finished(SetupStep.AUTHENTICATION);
    return c;
  }

  private static JsonObject json(String text) {
    return Json.createReader(new StringReader(text)).readObject();
  }

  @Test
  void holdsEarlyMessagesThenSendsReadyFirstAndHandlesThemInArrivalOrder() {
    FakeTransport t = new FakeTransport();
    ClosePolicy closes = closes(Strictness.STRICT);
    ReadyGate gate = gate(Strictness.STRICT, closes);
    Connection c = authenticated(t, closes);

    gate.receive(c, "1");
    gate.receive(c, "2");
    assertThat(handled).as("nothing is handled before ready").isEmpty();
    assertThat(t.sent).isEmpty();

    c.assignId("c-1");
    c.finished(SetupStep.REGISTRATION);
    c.finished(SetupStep.OUTBOUND);
    c.attach(new StreamSession("s-1", "alice", "rt", 10));
    c.finished(SetupStep.SESSION);
    closes.transition(c, new ConnectionEvent.ServicesReady());
    gate.advance(c);
    gate.receive(c, "3");

    assertThat(handled).containsExactly("1", "2", "3");
    assertThat(t.sent).hasSize(4);
    JsonObject ready = json(t.sent.get(0));
    assertThat(ready.getString("type")).isEqualTo("ready");
    assertThat(ready.getString("connectionId")).isEqualTo("c-1");
    assertThat(ready.getString("sessionId")).isEqualTo("s-1");
    assertThat(ready.getJsonArray("degraded")).isEmpty();
    assertThat(t.sent.subList(1, 4)).extracting(s -> json(s).getInt("of")).containsExactly(1, 2, 3);
    assertThat(c.state()).isEqualTo(ConnectionState.READY);
    assertThat(announced).filteredOn(ConnectionLifecycle.Held.class::isInstance).hasSize(2);
    assertThat(announced).filteredOn(ConnectionLifecycle.Ready.class::isInstance).hasSize(1);
  }

  @Test
  void aSetUpStillInProgressIsNotYetInEveryModeNeverRefused() {
    for (Strictness strictness : Strictness.values()) {
      FakeTransport t = new FakeTransport();
      ClosePolicy closes = closes(strictness);
      ReadyGate gate = gate(strictness, closes);
      Connection c = authenticated(t, closes);

      nanos.addAndGet(DEADLINE.minusMillis(1).toNanos());
      gate.advance(c);
      gate.receive(c, "early");

      assertThat(t.closes).as("%s", strictness).isEmpty();
      assertThat(t.sent).as("%s", strictness).isEmpty();
      assertThat(c.state()).isEqualTo(ConnectionState.AUTHENTICATED);
    }
  }

  @Test
  void pastTheDeadlineStrictClosesWith1013NamingTheStep() {
    FakeTransport t = new FakeTransport();
    ClosePolicy closes = closes(Strictness.STRICT);
    ReadyGate gate = gate(Strictness.STRICT, closes);
    Connection c = authenticated(t, closes);

    nanos.addAndGet(DEADLINE.toNanos());
    gate.advance(c);

    assertThat(t.closeCodes()).containsExactly(1013);
    assertThat(t.closes.get(0).getReasonPhrase()).isEqualTo("not ready: registration");
    assertThat(completedLocally).isEmpty();
  }

  @Test
  void pastTheDeadlinePermissiveCompletesLocallyAndSendsADegradedReady() {
    FakeTransport t = new FakeTransport();
    ClosePolicy closes = closes(Strictness.PERMISSIVE);
    ReadyGate gate = gate(Strictness.PERMISSIVE, closes);
    Connection c = authenticated(t, closes);

    nanos.addAndGet(DEADLINE.toNanos());
    gate.advance(c);

    assertThat(completedLocally).containsExactly(c);
    assertThat(t.closes).isEmpty();
    JsonObject ready = json(t.sent.get(0));
    assertThat(ready.getString("connectionId")).isEqualTo("late-id");
    assertThat(ready.getJsonArray("degraded").getValuesAs(jakarta.json.JsonString.class))
        .extracting(jakarta.json.JsonString::getString)
        .containsExactly("registration", "outbound", "session");
  }

  @Test
  void aCloseReportedWhileReadyIsSentIsNoIllegalTransitionAndNoReady() {
    FakeTransport t = new FakeTransport();
    ClosePolicy closes = closes(Strictness.STRICT);
    ReadyGate gate = gate(Strictness.STRICT, closes);
    Connection c = authenticated(t, closes);
    c.assignId("c-reset");
    c.finished(SetupStep.REGISTRATION);
    c.finished(SetupStep.OUTBOUND);
    c.attach(new StreamSession("s-reset", "alice", "rt", 10));
    c.finished(SetupStep.SESSION);
    closes.transition(c, new ConnectionEvent.ServicesReady());
    // The client reset the connection: sending ready fails, and the container reports the close
    // on the sending thread, under the monitor set-up holds (Connections.closed does this).
    t.onSend = text -> closes.transition(c, new ConnectionEvent.Closed(1006));

    gate.advance(c);

    assertThat(c.state()).isEqualTo(ConnectionState.CLOSED);
    assertThat(announced)
        .filteredOn(ConnectionLifecycle.Race.class::isInstance)
        .as("no invalid_state_transition for ReadySent in CLOSED")
        .isEmpty();
    assertThat(announced)
        .as("a connection that never became ready is not counted in open -> ready")
        .noneMatch(ConnectionLifecycle.Ready.class::isInstance);
  }
}
