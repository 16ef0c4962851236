package io.agentwire.protocol.entity;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.BiFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Cutting to a UTF-8 byte limit: never too long, never a split sequence, never less than fits. */
class ExcerptTest {

  /** 1, 2, 3 and 4 bytes of UTF-8: "a", "é", "€", U+1F600. */
  private static final String MIXED = "aé€\ud83d\ude00b€é\ud83d\ude00a";

  @Test
  void keepsTextThatFits() {
    String text = "hello";

    assertThat(Excerpt.fit(text, 5)).isSameAs(text);
    assertThat(Excerpt.of(text, 5)).isSameAs(text);
  }

  @Test
  void cutsAsciiAtTheLimit() {
    assertThat(Excerpt.fit("abcdef", 4)).isEqualTo("abcd");
    assertThat(Excerpt.of("abcdef", 4)).isEqualTo("a…");
  }

  @Test
  void keepsTextOfExactlyTheLimitWithoutMarker() {
    assertThat(Excerpt.of("abcd", 4)).isEqualTo("abcd");
    assertThat(Excerpt.of("a€", 4)).isEqualTo("a€");
    assertThat(Excerpt.fit("a\ud83d\ude00", 5)).isEqualTo("a\ud83d\ude00");
  }

  @Test
  void dropsATwoByteSequenceThatWouldCrossTheLimit() {
    assertThat(Excerpt.fit("aéé", 4)).isEqualTo("aé");
    assertThat(Excerpt.fit("aé", 2)).isEqualTo("a");
  }

  @Test
  void dropsAThreeByteSequenceThatWouldCrossTheLimit() {
    assertThat(Excerpt.fit("ab€", 4)).isEqualTo("ab");
    assertThat(Excerpt.fit("ab€", 3)).isEqualTo("ab");
    assertThat(Excerpt.fit("ab€", 5)).isEqualTo("ab€");
  }

  @Test
  void neverSplitsASurrogatePair() {
    String twoEmoji = "\ud83d\ude00\ud83d\ude00";

    for (int limit = 4; limit < 8; limit++) {
      assertThat(Excerpt.fit(twoEmoji, limit)).as("limit %d", limit).isEqualTo("\ud83d\ude00");
    }
    assertThat(Excerpt.fit("a\ud83d\ude00", 4)).isEqualTo("a");
    assertThat(Excerpt.of("a\ud83d\ude00bc", 6)).isEqualTo("a…");
  }

  @Test
  void countsTheMarkerWithinTheLimit() {
    String cut = Excerpt.of("x".repeat(200), 64);

    assertThat(cut).isEqualTo("x".repeat(61) + Excerpt.MARKER);
    assertThat(cut.getBytes(UTF_8)).hasSize(64);
  }

  @Test
  void makesRoomForTheMarkerWithoutSplittingASequence() {
    // 12 bytes into 10: 7 are left beside the marker, which hold two euro signs, not two and a bit.
    assertThat(Excerpt.of("€€€€", 10)).isEqualTo("€€…");
  }

  @Test
  void leavesOutTheMarkerWhenTheLimitCannotHoldIt() {
    assertThat(Excerpt.of("abcdef", 2)).isEqualTo("ab");
    assertThat(Excerpt.of("abcdef", 3)).isEqualTo("…");
    assertThat(Excerpt.of("abcdef", 0)).isEmpty();
  }

  @Test
  void cutsEmptyAndNullTextToEmpty() {
    assertThat(Excerpt.fit("", 0)).isEmpty();
    assertThat(Excerpt.of("", 0)).isEmpty();
    assertThat(Excerpt.fit("abc", 0)).isEmpty();
    assertThat(Excerpt.fit(null, 10)).isEmpty();
    assertThat(Excerpt.of(null, 10)).isEmpty();
  }

  @Test
  void replacesHalfASurrogatePairAndCountsItAsThreeBytes() {
    assertThat(Excerpt.fit("a\ud800b", 10)).isEqualTo("a\ufffdb");
    assertThat(Excerpt.fit("a\ud800b", 4)).isEqualTo("a\ufffd");
    assertThat(Excerpt.fit("a\ud800b", 3)).isEqualTo("a");
    assertThat(Excerpt.fit("ab\ud83d", 10)).isEqualTo("ab\ufffd");
    assertThat(Excerpt.of("\ude00\ud83d", 10)).isEqualTo("\ufffd\ufffd");
    assertThat(Excerpt.of("x\udc00".repeat(10), 10)).isEqualTo("x\ufffdx…");
  }

  @Test
  void cutsACloseReasonToTheCloseFrameLimit() {
    assertThat(Excerpt.CLOSE_REASON_BYTES).isEqualTo(123);

    String reason = Excerpt.fit("not ready: " + "€".repeat(100), Excerpt.CLOSE_REASON_BYTES);

    assertThat(reason).isEqualTo("not ready: " + "€".repeat(37)); // 122 bytes; a 38th makes 125
    assertThat(Excerpt.fit("x".repeat(200), Excerpt.CLOSE_REASON_BYTES)).hasSize(123);
  }

  @Test
  void refusesANegativeLimit() {
    assertThatThrownBy(() -> Excerpt.fit("a", -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Excerpt.of("a", -1)).isInstanceOf(IllegalArgumentException.class);
  }

  static Stream<Arguments> everyLimitOfMixedText() {
    int bytes = MIXED.getBytes(UTF_8).length;
    return IntStream.rangeClosed(0, bytes + 1).boxed().map(Arguments::of);
  }

  @ParameterizedTest(name = "limit {0}")
  @MethodSource("everyLimitOfMixedText")
  void fitKeepsTheLongestWellFormedPrefixWithinTheLimit(int limit) {
    assertLongestPrefix(Excerpt::fit, limit, "");
  }

  @ParameterizedTest(name = "limit {0}")
  @MethodSource("everyLimitOfMixedText")
  void ofKeepsTheLongestPrefixThatFitsBesideTheMarker(int limit) {
    boolean fits = MIXED.getBytes(UTF_8).length <= limit;
    assertLongestPrefix(Excerpt::of, limit, fits || limit < 3 ? "" : Excerpt.MARKER);
  }

  private static void assertLongestPrefix(
      BiFunction<String, Integer, String> excerpt, int limit, String marker) {
    String cut = excerpt.apply(MIXED, limit);

    assertThat(cut).endsWith(marker);
    String kept = cut.substring(0, cut.length() - marker.length());
    assertThat(MIXED).startsWith(kept);
    assertThat(cut.getBytes(UTF_8)).hasSizeLessThanOrEqualTo(limit);
    assertThat(new String(cut.getBytes(UTF_8), UTF_8)).as("well-formed").isEqualTo(cut);
    if (kept.length() < MIXED.length()) {
      int next = kept.length() + Character.charCount(MIXED.codePointAt(kept.length()));
      String longer = MIXED.substring(0, next) + marker;
      assertThat(longer.getBytes(UTF_8)).as("next code point").hasSizeGreaterThan(limit);
    }
  }
}
