package io.agentwire.security.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OriginPolicyTest {

  private final OriginPolicy policy =
      OriginPolicy.of("https://app.example.com, http://localhost:*");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "https://app.example.com, true",
    "HTTPS://APP.EXAMPLE.COM, true",
    "http://localhost:3000, true",
    "http://localhost, true",
    "https://app.example.com.evil.net, false",
    "https://evil.example, false",
    "http://localhost.evil.net:80, false",
    "http://localhost:80x, false",
    "https://localhost:3000, false",
    "null, false",
  })
  void allowsOnlyListedOrigins(String origin, boolean allowed) {
    assertThat(policy.allows(origin)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @CsvSource({"''", "' , '"})
  void anEmptyListAllowsNoBrowserOrigin(String list) {
    assertThat(OriginPolicy.of(list).allows("https://app.example.com")).isFalse();
  }

  @org.junit.jupiter.api.Test
  void aRequestWithoutOriginIsNoBrowserAndPasses() {
    assertThat(OriginPolicy.of("").allows(null)).isTrue();
  }
}
