package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.RacePattern;
import io.agentwire.readiness.entity.Strictness;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** An illegal transition is refused and counted in every mode, and a defect (1011) in strict. */
class IllegalTransitionTest {

  private final List<ConnectionLifecycle.Race> races = new ArrayList<>();

  private ClosePolicy closes(Strictness strictness) {
    // Runs tasks inline: the close happens before the assertions.
    return new ClosePolicy(
        Runnable::run,
        strictness,
        Duration.ofSeconds(25),
        event -> {
          if (event instanceof ConnectionLifecycle.Race race) {
            races.add(race);
          }
        });
  }

  @ParameterizedTest
  @EnumSource(Strictness.class)
  void isRefusedAndCountedAtTheLevelOfTheMode(Strictness strictness) {
    FakeTransport transport = new FakeTransport();
    Connection c = transport.connection("token");

    closes(strictness).transition(c, new ConnectionEvent.RunStarted()); // not in CONNECTING

    assertThat(races)
        .extracting(ConnectionLifecycle.Race::pattern)
        .containsExactly(RacePattern.INVALID_STATE_TRANSITION);
    assertThat(races)
        .extracting(ConnectionLifecycle.Race::level)
        .containsExactly(strictness == Strictness.PERMISSIVE ? Level.INFO : Level.WARNING);
    if (strictness == Strictness.STRICT) {
      assertThat(transport.closeCodes()).containsExactly(1011);
      assertThat(transport.closes.get(0).getReasonPhrase())
          .matches("internal error, incident [0-9a-f]{8}");
      assertThat(c.state()).isEqualTo(ConnectionState.CLOSING);
    } else {
      assertThat(transport.closes).isEmpty();
      assertThat(c.state())
          .as("the refused event changed nothing")
          .isEqualTo(ConnectionState.CONNECTING);
    }
  }
}
