package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.time.Duration;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The staging profile (balanced, deadline PT10S by default) with a set-up that takes 2 s. */
@ExtendWith(ArquillianExtension.class)
class StagingProfileIT {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        SetupWindow.trustingTestKey(
            """
        mp.config.profile=staging
        agentwire.chaos.init-delay=PT2S
        """));
  }

  @ArquillianResource URL base;

  /** Regression: valid connections were refused during set-up in staging. */
  @Test
  void connectionWhoseSetUpTakesTwoSecondsIsNotRefusedInStaging() {
    SetupWindow.slowSetUpIsNotRefused(base, Duration.ofSeconds(2));
  }

  @Test
  void developmentTokensAreNotServed() {
    assertThat(Http.post(base, "/api/dev/token", "{\"sub\":\"x\"}").status()).isEqualTo(404);
  }

  @Test
  void isReadyWithItsOwnKey() {
    assertThat(Http.get(base, "/health/ready", null).status()).isEqualTo(200);
    assertThat(Http.get(base, "/health/started", null).status()).isEqualTo(200);
  }
}
