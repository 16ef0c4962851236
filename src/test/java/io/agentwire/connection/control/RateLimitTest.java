package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimitTest {

  private static final long MS = 1_000_000L;

  @Test
  void admitsABurstOfOneSecondsWorthThenRefuses() {
    RateLimit limit = new RateLimit(10, 0);
    for (int i = 0; i < 10; i++) {
      assertThat(limit.admit(0)).as("message %d", i).isTrue();
    }
    assertThat(limit.admit(0)).isFalse();
  }

  @Test
  void refillsAtTheConfiguredRate() {
    RateLimit limit = new RateLimit(10, 0);
    for (int i = 0; i < 10; i++) {
      limit.admit(0);
    }
    assertThat(limit.admit(50 * MS)).as("half a token after 50 ms").isFalse();
    assertThat(limit.admit(150 * MS)).as("a token after 100 ms").isTrue();
    assertThat(limit.admit(150 * MS)).isFalse();
  }

  @Test
  void aSustainedRateAtTheLimitPasses() {
    RateLimit limit = new RateLimit(20, 0);
    for (int i = 1; i <= 200; i++) {
      assertThat(limit.admit(i * 50 * MS)).isTrue();
    }
  }
}
