package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The production profile (strict, deadline PT5S by default) with a set-up that takes 2 s. */
@ExtendWith(ArquillianExtension.class)
class ProductionProfileIT {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        SetupWindow.trustingTestKey(
            """
        mp.config.profile=production
        agentwire.chaos.init-delay=PT2S
        """));
  }

  @ArquillianResource URL base;

  /** Regression: valid connections were refused during set-up in production. */
  @Test
  void connectionWhoseSetUpTakesTwoSecondsIsNotRefusedInProduction() {
    SetupWindow.slowSetUpIsNotRefused(base, Duration.ofSeconds(2));
  }

  /** The benchmark's bare endpoint has no authentication: it exists only where a key enables it. */
  @Test
  void bareBenchmarkEndpointIsNotDeployedByDefault() throws Exception {
    try (RawWs upgrade = RawWs.open(base, "/bench/echo", null, Map.of(), 0)) {
      assertThat(upgrade.status()).isEqualTo(404);
    }
    try (RawWs upgrade = RawWs.open(base, "/ws", null, Map.of(), 0)) {
      assertThat(upgrade.status()).as("the agentwire endpoint beside it").isEqualTo(101);
    }
  }

  @Test
  void developmentTokensAreNotServed() {
    assertThat(Http.post(base, "/api/dev/token", "{\"sub\":\"x\"}").status()).isEqualTo(404);
  }

  @Test
  void theConsoleIsServedAndAsksForAToken() {
    Http.Answer page = Http.get(base, "/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).get().asString().startsWith("text/html");
    assertThat(page.body()).contains("id=\"pasted-token\"").contains("js/console.js");
    // How the console finds out that development tokens are not served: 404 for an empty body.
    assertThat(Http.post(base, "/api/dev/token", "{}").status()).isEqualTo(404);
    Http.Answer client = Http.get(base, "/js/agentwire-client.js", null);
    assertThat(client.status()).isEqualTo(200);
    assertThat(client.header("Content-Type")).get().asString().contains("javascript");
    assertThat(client.body()).contains("export class AgentwireClient");
  }
}
