package io.agentwire.connection.control;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.agentwire.connection.entity.ClientMessage;
import io.agentwire.connection.entity.ClientMessage.Ack;
import io.agentwire.connection.entity.ClientMessage.Cancel;
import io.agentwire.connection.entity.ClientMessage.Ping;
import io.agentwire.connection.entity.ClientMessage.Run;
import io.agentwire.connection.entity.Decoded;
import io.agentwire.connection.entity.Decoded.Message;
import io.agentwire.connection.entity.Decoded.Refused;
import jakarta.json.Json;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The decoder against the frames in {@code src/test/resources/protocol/{valid,invalid}}. */
class MessageDecoderTest {

  private static final String RUN_ID_128 = "r".repeat(128);

  /** What each file in {@code protocol/valid} must decode to; every file needs an entry. */
  private static final Map<String, ClientMessage> VALID =
      Map.ofEntries(
          Map.entry("run.json", new Run("echo", Json.createValue("hello"), Optional.empty())),
          Map.entry(
              "run-with-run-id.json",
              new Run("analyze", json("{\"text\":\"a b a\"}"), Optional.of("r-1"))),
          Map.entry("run-input-null.json", new Run("echo", JsonValue.NULL, Optional.empty())),
          Map.entry(
              "run-run-id-128-chars.json", new Run("echo", json("[1,2]"), Optional.of(RUN_ID_128))),
          Map.entry("cancel.json", new Cancel("r-1")),
          Map.entry("ack.json", new Ack(42)),
          Map.entry("ack-zero.json", new Ack(0)),
          Map.entry("ack-max-long.json", new Ack(Long.MAX_VALUE)),
          Map.entry("ping.json", new Ping(Optional.empty())),
          Map.entry("ping-with-id.json", new Ping(Optional.of(Json.createValue("p-7")))),
          Map.entry(
              "ping-with-object-id.json",
              new Ping(Optional.of(json("{\"n\":1,\"tags\":[\"a\"]}")))),
          Map.entry("ping-with-null-id.json", new Ping(Optional.of(JsonValue.NULL))),
          Map.entry("ping-with-huge-exponent-id.json", new Ping(Optional.of(json("1E999999999")))),
          Map.entry(
              "ping-with-surrogate-pair-id.json",
              new Ping(Optional.of(Json.createValue("\ud83d\ude00")))),
          Map.entry("unknown-fields.json", new Cancel("r-1")),
          Map.entry("whitespace-around.json", new Ping(Optional.empty())),
          Map.entry(
              "depth-32.json",
              new Run(
                  "echo",
                  json("{\"a\":".repeat(15) + "[".repeat(16) + "]".repeat(16) + "}".repeat(15)),
                  Optional.empty())));

  private final MessageDecoder decoder = new MessageDecoder();

  @ParameterizedTest(name = "{0}")
  @MethodSource("validFiles")
  void decodesValidFrameToExactMessage(String file) throws IOException {
    assertThat(VALID).as("expectation for valid/%s", file).containsKey(file);

    assertThat(decoder.decode(read("valid", file))).isEqualTo(new Message(VALID.get(file)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFiles")
  void refusesInvalidFrameWithCodeAndRef(String file) throws IOException {
    String expected = expectedRefusals().getProperty(file);
    assertThat(expected).as("line for %s in invalid/expected.properties", file).isNotNull();
    String[] codeAndRef = expected.split(" ");

    Decoded decoded = decoder.decode(read("invalid", file));

    assertRefused(decoded, codeAndRef[0], codeAndRef.length > 1 ? codeAndRef[1] : null);
  }

  @Test
  void everyExpectationHasItsFile() throws IOException {
    assertThat(validFiles()).containsExactlyInAnyOrderElementsOf(VALID.keySet());
    assertThat(invalidFiles())
        .containsExactlyInAnyOrderElementsOf(expectedRefusals().stringPropertyNames());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1E999999999",
        "-1E999999999",
        "1E-999999999",
        "0E999999999",
        "1E2147483647",
        "123456789012345678901234567890"
      })
  void refusesSeqWithHugeScaleQuickly(String seq) {
    Decoded decoded =
        assertTimeoutPreemptively(
            Duration.ofSeconds(2), () -> decoder.decode("{\"type\":\"ack\",\"seq\":" + seq + "}"));

    assertRefused(decoded, "bad_request", "ack");
  }

  @Test
  void refusesNumberWhoseExponentDoesNotFitAnInt() {
    // Parsson throws NumberFormatException for this one, not JsonException.
    assertRefused(
        decoder.decode("{\"type\":\"ping\",\"id\":1E99999999999999999999}"), "bad_request", null);
  }

  @Test
  void unknownTypeRefIsOnlyAnExcerpt() {
    String type = "x".repeat(10_000);

    Refused refused = (Refused) decoder.decode("{\"type\":\"" + type + "\"}");

    assertThat(refused.code().wireName()).isEqualTo("unknown_type");
    assertThat(refused.ref()).startsWith("xxxx").endsWith("…");
    assertThat(utf8(refused.ref())).isEqualTo(MessageDecoder.EXCERPT_BYTES);
  }

  @Test
  void refusalDoesNotEchoARepeatedLongKey() {
    String key = "k".repeat(10_000);

    Refused refused = (Refused) decoder.decode("{\"" + key + "\":1,\"" + key + "\":2}");

    assertThat(refused.code().wireName()).isEqualTo("bad_request");
    assertThat(refused.message()).hasSizeLessThan(120);
  }

  @Test
  void excerptDoesNotSplitASurrogatePair() {
    String text = "a".repeat(MessageDecoder.EXCERPT_BYTES - 5) + "😀".repeat(10);

    // 35 ASCII bytes leave 5: no room for a 4-byte emoji and the 3-byte marker.
    assertThat(MessageDecoder.excerpt(text)).isEqualTo("a".repeat(35) + "…");
  }

  @Test
  void excerptReplacesHalfASurrogatePair() {
    assertThat(MessageDecoder.excerpt("a\uD800b\uDC00c😀")).isEqualTo("a\uFFFDb\uFFFDc😀");
  }

  @Test
  void refusalOfARepeatedKeyQuotesNoHalfSurrogatePair() {
    Refused refused = (Refused) decoder.decode("{\"\\ud800k\":1,\"\\ud800k\":2}");

    assertThat(refused.code().wireName()).isEqualTo("bad_request");
    assertThat(UTF_8.newEncoder().canEncode(refused.message())).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"\uD800", "{\"type\":\"ping\",\"id\":\"\uDC00\"}", "\u0000", "{\"type\"\u0000}"})
  void oddCharactersAreAnsweredNotThrown(String text) {
    assertThatCode(() -> decoder.decode(text)).doesNotThrowAnyException();
  }

  @Test
  void nullIsABadRequest() {
    assertRefused(decoder.decode(null), "bad_request", null);
  }

  private static void assertRefused(Decoded decoded, String code, String ref) {
    assertThat(decoded)
        .isInstanceOfSatisfying(
            Refused.class,
            refused -> {
              assertThat(refused.code().wireName()).isEqualTo(code);
              assertThat(refused.ref()).isEqualTo(ref);
              assertThat(refused.message()).isNotBlank().hasSizeLessThan(120);
            });
  }

  static List<String> validFiles() throws IOException {
    return files("valid");
  }

  static List<String> invalidFiles() throws IOException {
    return files("invalid");
  }

  private static List<String> files(String folder) throws IOException {
    try (Stream<Path> paths = Files.list(folder(folder))) {
      return paths
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .sorted()
          .toList();
    }
  }

  private static Properties expectedRefusals() throws IOException {
    Properties expected = new Properties();
    try (Reader in = Files.newBufferedReader(folder("invalid").resolve("expected.properties"))) {
      expected.load(in);
    }
    return expected;
  }

  private static String read(String folder, String file) throws IOException {
    return Files.readString(folder(folder).resolve(file), UTF_8);
  }

  private static Path folder(String name) {
    try {
      return Path.of(MessageDecoderTest.class.getResource("/protocol/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonValue json(String text) {
    try (var reader = Json.createReader(new StringReader(text))) {
      return reader.readValue();
    }
  }

  private static int utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
