package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import java.net.URL;
import java.time.Duration;

/** Scenarios shared by the ITs that run with a slow set-up (agentwire.chaos.init-delay). */
final class SetupWindow {

  private SetupWindow() {}

  /** Configuration that trusts the test key (not the development key) with the given settings. */
  static String trustingTestKey(String lines) {
    return "mp.jwt.verify.publickey="
        + TestTokens.rsaKey().toPublicJWK().toJSONString()
        + "\n"
        + "mp.jwt.verify.issuer="
        + TestTokens.ISSUER
        + "\n"
        + lines;
  }

  static String token(String subject) {
    return TestTokens.valid(TestTokens.rsaKey(), subject, "agentwire-user");
  }

  /**
   * The original regression: a connection whose set-up takes {@code delay} is not refused; it gets
   * {@code ready} (not degraded), then the answer to what it sent during set-up.
   */
  static void slowSetUpIsNotRefused(URL base, Duration delay) {
    long start = System.nanoTime();
    Ws ws = Ws.connect(base, token("slow-" + delay.toMillis()));
    ws.send("{\"type\":\"ping\",\"id\":\"during-setup\"}");

    JsonObject ready = ws.next("ready");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(took)
        .as("set-up really took the injected delay")
        .isGreaterThanOrEqualTo(delay.minusMillis(100));
    assertThat(ready.getJsonArray("degraded")).isEmpty();
    assertThat(ws.next("pong").getString("id")).isEqualTo("during-setup");
    assertThat(ws.isClosed()).isFalse();
    ws.close();
  }
}
