package io.agentwire.security.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenVerificationCheckTest {

  /** The container's response builder, reduced to what a check uses (MP Health's SPI). */
  static final class Builder extends HealthCheckResponseBuilder {
    private String name;
    private boolean up;
    private final Map<String, Object> data = new HashMap<>();

    @Override
    public HealthCheckResponseBuilder name(String name) {
      this.name = name;
      return this;
    }

    @Override
    public HealthCheckResponseBuilder withData(String key, String value) {
      data.put(key, value);
      return this;
    }

    @Override
    public HealthCheckResponseBuilder withData(String key, long value) {
      data.put(key, value);
      return this;
    }

    @Override
    public HealthCheckResponseBuilder withData(String key, boolean value) {
      data.put(key, value);
      return this;
    }

    @Override
    public HealthCheckResponseBuilder up() {
      return status(true);
    }

    @Override
    public HealthCheckResponseBuilder down() {
      return status(false);
    }

    @Override
    public HealthCheckResponseBuilder status(boolean up) {
      this.up = up;
      return this;
    }

    @Override
    public HealthCheckResponse build() {
      return new HealthCheckResponse(
          name,
          up ? HealthCheckResponse.Status.UP : HealthCheckResponse.Status.DOWN,
          Optional.of(Map.copyOf(data)));
    }
  }

  @BeforeAll
  static void provider() {
    HealthCheckResponse.setResponseProvider(Builder::new);
  }

  /**
   * A probe while the WAR still deploys must not make the verifier: on an HTTP thread the WAR's
   * configuration was not visible, and the verifier it made refused every token for good. The
   * check's collaborators are left unset here: touching any of them would throw.
   */
  @Test
  void answersStartingWithoutTouchingTheVerifierBeforeTheApplicationIsInitialized() {
    HealthCheckResponse response = new TokenVerificationCheck().call();

    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
    assertThat(response.getData().orElseThrow()).containsEntry("problem", "starting");
  }
}
