package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Permissive mode whose set-up outlasts the deadline: ready, degraded, held messages handled. */
@ExtendWith(ArquillianExtension.class)
class PermissiveDegradedIT {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        """
        mp.config.profile=development
        agentwire.readiness.deadline=PT1S
        agentwire.chaos.init-delay=PT3S
        """);
  }

  @ArquillianResource URL base;

  @Test
  void readiesWithTheUnfinishedStepsInDegradedAndAnswersWhatWasHeld() {
    Ws ws =
        Ws.connect(
            base, TestTokens.development("agentwire-development", "degraded", "agentwire-user"));
    ws.send("{\"type\":\"ping\",\"id\":\"held\"}");

    JsonObject ready = ws.next("ready");

    assertThat(ready.getJsonArray("degraded").getValuesAs(JsonString::getString))
        .containsExactly("registration", "outbound", "session");
    assertThat(ready.getString("connectionId")).isNotBlank();
    assertThat(ws.next("pong").getString("id")).isEqualTo("held");
    ws.send("{\"type\":\"run\",\"agent\":\"echo\",\"input\":7,\"runId\":\"d\"}");
    assertThat(ws.next("agent_started").getJsonNumber("seq").longValue()).isEqualTo(1);
    assertThat(ws.next("agent_completed").getJsonObject("data").getInt("output")).isEqualTo(7);
    ws.close();
  }
}
