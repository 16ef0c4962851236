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

  @ParameterizedTest(name = "{0} to Host {1} -> {2}")
  @CsvSource({
    "https://agentwire.example.com, agentwire.example.com, true",
    "https://agentwire.example.com, agentwire.example.com:443, true",
    "https://agentwire.example.com:443, agentwire.example.com, true",
    "http://agentwire.example.com, agentwire.example.com:80, true",
    "http://10.0.0.7:8080, 10.0.0.7:8080, true",
    "HTTP://Agentwire.Example.COM:8080, agentwire.example.com:8080, true",
    "http://[::1]:8080, [::1]:8080, true",
    "http://agentwire.example.com:8080, agentwire.example.com:8081, false",
    "https://agentwire.example.com, agentwire.example.com:80, false",
    "http://agentwire.example.com, agentwire.example.com:443, false",
    "https://agentwire.example.com.evil.net, agentwire.example.com, false",
    "https://evil.net, agentwire.example.com, false",
    "https://agentwire.example.com/path, agentwire.example.com, false",
    "https://user@agentwire.example.com, agentwire.example.com, false",
    "ws://agentwire.example.com, agentwire.example.com, false",
    "null, null, false",
    "https://agentwire.example.com, '', false",
  })
  void allowsThePagesOfThisServerItself(String origin, String host, boolean allowed) {
    assertThat(OriginPolicy.of("").allows(origin, host, true)).isEqualTo(allowed);
  }

  @org.junit.jupiter.api.Test
  void sameOriginCanBeSwitchedOff() {
    OriginPolicy none = OriginPolicy.of("");
    assertThat(none.allows("https://agentwire.example.com", "agentwire.example.com", false))
        .isFalse();
    assertThat(policy.allows("https://app.example.com", "agentwire.example.com", false)).isTrue();
  }
}
