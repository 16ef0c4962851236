package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Production defaults (strict) given the development key: refuses to start, stays alive. */
@ExtendWith(ArquillianExtension.class)
class StrictDevelopmentKeyIT {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        """
        mp.config.profile=production
        mp.jwt.verify.issuer=agentwire-development
        mp.jwt.verify.publickey.location=META-INF/agentwire-dev-keys/dev-public.pem
        """);
  }

  @ArquillianResource URL base;

  @Test
  void startupAndReadinessAreDownWhileLivenessStaysUp() {
    Http.Answer started = Http.get(base, "/health/started", null);
    assertThat(started.status()).isEqualTo(503);
    assertThat(started.body()).contains("development key");
    assertThat(Http.get(base, "/health/ready", null).status()).isEqualTo(503);
    assertThat(Http.get(base, "/health/live", null).status()).isEqualTo(200);
  }

  @Test
  void connectionsAreToldTheInstanceIsStartingWith1013() {
    Ws ws =
        Ws.connect(
            base, TestTokens.development("agentwire-development", "early", "agentwire-user"));
    Ws.Close close = ws.awaitClose();
    assertThat(close.code()).isEqualTo(1013);
    assertThat(close.reason()).isEqualTo("not ready: starting");
    assertThat(ws.pending()).isEmpty();
  }
}
