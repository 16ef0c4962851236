package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A session retention no longer than set-up may take could expire a session between its grant and
 * {@code ready}: the instance refuses to start with it, says why, and stays alive.
 */
@ExtendWith(ArquillianExtension.class)
class ShortRetentionIT {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        """
        mp.config.profile=development
        agentwire.readiness.deadline=PT10S
        agentwire.session.retention=PT5S
        """);
  }

  @ArquillianResource URL base;

  @Test
  void refusesToStartAndNamesTheSetting() {
    Http.Answer started = Http.get(base, "/health/started", null);
    assertThat(started.status()).isEqualTo(503);
    assertThat(started.body()).contains("agentwire.session.retention");
    assertThat(Http.get(base, "/health/ready", null).status()).isEqualTo(503);
    assertThat(Http.get(base, "/health/live", null).status()).isEqualTo(200);
  }
}
