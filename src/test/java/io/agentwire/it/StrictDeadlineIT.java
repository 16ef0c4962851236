package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Strict mode whose set-up outlasts the deadline: G4, close 1013 naming the step. */
@ExtendWith(ArquillianExtension.class)
class StrictDeadlineIT {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        SetupWindow.trustingTestKey(
            """
        agentwire.readiness.strictness=strict
        agentwire.readiness.deadline=PT1S
        agentwire.chaos.init-delay=PT3S
        """));
  }

  @ArquillianResource URL base;

  @Test
  void closesWith1013NamingTheStepPastTheDeadlineAndHandlesNothing() {
    double before =
        Http.metric(
            base, "agentwire_race_patterns_total", "pattern", "readiness_deadline_exceeded");
    Ws ws = Ws.connect(base, SetupWindow.token("too-slow"));
    ws.send("{\"type\":\"ping\",\"id\":1}");

    Ws.Close close = ws.awaitClose();

    assertThat(close.code()).isEqualTo(1013);
    assertThat(close.reason()).isEqualTo("not ready: registration");
    assertThat(ws.pending()).as("no ready, no pong").isEmpty();
    assertThat(
            Http.metric(
                base, "agentwire_race_patterns_total", "pattern", "readiness_deadline_exceeded"))
        .isEqualTo(before + 1);
    assertThat(Http.metric(base, "agentwire_closes_total", "code", "1013")).isPositive();
  }
}
