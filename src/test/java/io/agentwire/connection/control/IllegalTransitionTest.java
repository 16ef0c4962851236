package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.diagnostics.control.RacePattern;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.readiness.entity.Strictness;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.lang.System.Logger.Level;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** An illegal transition is refused and counted in every mode, and a defect (1011) in strict. */
class IllegalTransitionTest {

  private final List<RacePattern> counted = new ArrayList<>();
  private final List<Level> levels = new ArrayList<>();
  private final List<CloseReason> closes = new ArrayList<>();

  private Connections connections(Strictness strictness) {
    Connections connections = new Connections();
    connections.readiness =
        new ReadinessSettings() {
          @Override
          public Strictness strictness() {
            return strictness;
          }
        };
    connections.telemetry =
        new Telemetry() {
          @Override
          public void race(RacePattern pattern, String id, String detail, Level level) {
            counted.add(pattern);
            levels.add(level);
          }
        };
    // Runs tasks inline: the close happens before the assertions.
    connections.executor =
        (ManagedExecutorService)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ManagedExecutorService.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("execute")) {
                    ((Runnable) args[0]).run();
                    return null;
                  }
                  throw new UnsupportedOperationException(method.getName());
                });
    return connections;
  }

  private Connection connection() {
    Session socket =
        (Session)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {Session.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "getId" -> "s-1";
                      case "isOpen" -> true;
                      case "close" -> {
                        closes.add((CloseReason) args[0]);
                        yield null;
                      }
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    Outbound outbound = new Outbound((text, done) -> done.accept(null), 1024, (t, f) -> {});
    return new Connection(socket, Clock.systemUTC(), 4, 10, 1024, outbound, "token");
  }

  @ParameterizedTest
  @EnumSource(Strictness.class)
  void isRefusedAndCountedAtTheLevelOfTheMode(Strictness strictness) {
    Connection c = connection();

    connections(strictness).transition(c, new ConnectionEvent.RunStarted()); // not in CONNECTING

    assertThat(counted).containsExactly(RacePattern.INVALID_STATE_TRANSITION);
    assertThat(levels)
        .containsExactly(strictness == Strictness.PERMISSIVE ? Level.INFO : Level.WARNING);
    if (strictness == Strictness.STRICT) {
      assertThat(closes).hasSize(1);
      assertThat(closes.get(0).getCloseCode().getCode()).isEqualTo(1011);
      assertThat(closes.get(0).getReasonPhrase()).matches("internal error, incident [0-9a-f]{8}");
      assertThat(c.state()).isEqualTo(ConnectionState.CLOSING);
    } else {
      assertThat(closes).isEmpty();
      assertThat(c.state())
          .as("the refused event changed nothing")
          .isEqualTo(ConnectionState.CONNECTING);
    }
  }
}
