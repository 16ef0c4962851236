package io.agentwire.protocol.control;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.protocol.entity.Excerpt;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.protocol.entity.ServerMessage.Event;
import io.agentwire.protocol.entity.ServerMessage.Limits;
import io.agentwire.protocol.entity.ServerMessage.Pong;
import io.agentwire.protocol.entity.ServerMessage.Ready;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.IOException;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every server message encodes to the JSON that ServerMessages and StreamSession produced before,
 * field order included, and the fixtures of the decoder come back out intact.
 */
class ServerMessageEncoderTest {

  /** An error message quoting client text: short enough to read, far under any frame limit. */
  private static final int QUOTE_BYTES = 64;

  private static final JsonProvider JSON = JsonProvider.provider();
  private static final Limits LIMITS = new Limits(65536, 100, 4, 50);
  private static final Instant TS = Instant.parse("2025-03-04T05:06:07.123456789Z");

  private final ServerMessageEncoder encoder = new ServerMessageEncoder();

  @Test
  void encodesReadyAsServerMessagesDid() {
    Ready ready =
        new Ready(
            "c-1",
            "s-1",
            "tok",
            true,
            42,
            25000,
            LIMITS,
            List.of("jwks", "store"),
            List.of(new ServerMessage.RunInFlight("r-1", "analyze", 7)),
            Optional.of("expired"),
            Optional.of(new ServerMessage.Gap(3, 9)));

    JsonObject expected =
        readyAsToday(ready)
            .add("resumeFailure", "expired")
            .add("gap", JSON.createObjectBuilder().add("from", 3).add("to", 9))
            .build();

    assertEncodes(
        ready,
        expected,
        "type",
        "connectionId",
        "sessionId",
        "resumeToken",
        "resumed",
        "lastSeq",
        "heartbeatMs",
        "limits",
        "degraded",
        "runs",
        "resumeFailure",
        "gap");
    assertThat(parse(encoder.encode(ready)).getJsonObject("limits").keySet())
        .containsExactly(
            "maxMessageBytes", "holdMaxMessages", "runsPerConnection", "messagesPerSecond");
    assertThat(parse(encoder.encode(ready)).getJsonArray("runs").getJsonObject(0).keySet())
        .containsExactly("runId", "agent", "startedSeq");
  }

  @Test
  void leavesResumeFailureOutOfReadyWhenNoResumeWasRefused() {
    Ready ready =
        new Ready(
            "c-1",
            "s-1",
            "tok",
            false,
            0,
            25000,
            LIMITS,
            List.of(),
            List.of(),
            Optional.empty(),
            Optional.empty());

    assertEncodes(
        ready,
        readyAsToday(ready).build(),
        "type",
        "connectionId",
        "sessionId",
        "resumeToken",
        "resumed",
        "lastSeq",
        "heartbeatMs",
        "limits",
        "degraded",
        "runs");
  }

  @Test
  void encodesDrainingWithItsWait() {
    assertEncodes(
        new ServerMessage.Draining(1234),
        JSON.createObjectBuilder().add("type", "draining").add("reconnectAfterMs", 1234).build(),
        "type",
        "reconnectAfterMs");
  }

  @Test
  void encodesPongWithThePingsId() {
    JsonValue id = parse("{\"id\":{\"n\":1,\"tags\":[\"a\"]}}").get("id");

    assertEncodes(
        new Pong(Optional.of(id)),
        JSON.createObjectBuilder().add("type", "pong").add("id", id).build(),
        "type",
        "id");
  }

  @Test
  void encodesPongWithoutIdAsNullId() {
    assertThat(encoder.encode(new Pong(Optional.empty())))
        .isEqualTo("{\"type\":\"pong\",\"id\":null}");
  }

  @Test
  void encodesErrorWithItsRef() {
    ServerMessage.Error error =
        new ServerMessage.Error(ErrorCode.RUN_LIMIT, "at most 4 runs at once", Optional.of("r-1"));

    assertEncodes(
        error,
        JSON.createObjectBuilder()
            .add("type", "error")
            .add("code", "run_limit")
            .add("message", "at most 4 runs at once")
            .add("ref", "r-1")
            .build(),
        "type",
        "code",
        "message",
        "ref");
  }

  @Test
  void leavesRefOutOfAnErrorThatConcernsNoRunOrType() {
    ServerMessage.Error error =
        new ServerMessage.Error(ErrorCode.BAD_REQUEST, "not JSON", Optional.empty());

    assertThat(encoder.encode(error))
        .isEqualTo("{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"not JSON\"}");
  }

  @Test
  void encodesEventAsStreamSessionDid() {
    JsonObject data =
        JSON.createObjectBuilder()
            .add("tool", "word_count")
            .add("result", JsonValue.NULL)
            .add("interrupted", true)
            .build();
    Event event = new Event(7, EventType.TOOL_COMPLETED, "r-1", TS, data);

    assertEncodes(
        event,
        JSON.createObjectBuilder()
            .add("type", "tool_completed")
            .add("seq", 7L)
            .add("runId", "r-1")
            .add("ts", "2025-03-04T05:06:07.123456789Z")
            .add("data", data)
            .build(),
        "type",
        "seq",
        "runId",
        "ts",
        "data");
  }

  @Test
  void escapesWhatJsonMustEscapeAndKeepsTheRest() {
    String message = "quote \" backslash \\ newline \n control \u0001 emoji \ud83d\ude00 é";

    String text =
        encoder.encode(new ServerMessage.Error(ErrorCode.BAD_REQUEST, message, Optional.empty()));

    assertThat(parse(text).getString("message")).isEqualTo(message);
    assertThat(text).doesNotContain("\n").contains("\ud83d\ude00 é");
  }

  @Test
  void encodesAlikeFromManyThreadsAtOnce() throws Exception {
    List<ServerMessage> messages =
        List.of(
            new Pong(Optional.of(JSON.createValue("p"))),
            new Event(1, EventType.AGENT_STARTED, "r", TS, JSON.createObjectBuilder().build()),
            new Ready(
                "c",
                "s",
                "t",
                false,
                0,
                1,
                LIMITS,
                List.of("x"),
                List.of(),
                Optional.empty(),
                Optional.empty()));
    List<String> once = messages.stream().map(encoder::encode).toList();
    Callable<Boolean> repeat =
        () ->
            IntStream.range(0, 2000)
                .allMatch(i -> encoder.encode(messages.get(i % 3)).equals(once.get(i % 3)));
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      for (Future<Boolean> alike : threads.invokeAll(List.of(repeat, repeat, repeat, repeat))) {
        assertThat(alike.get()).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void offersTheProviderItWasGivenForBuildingData() {
    JsonProvider provider = JsonProvider.provider();

    assertThat(new ServerMessageEncoder(provider).provider()).isSameAs(provider);
  }

  static Stream<String> pingFixtures() throws IOException {
    return fixtures("valid").filter(name -> name.startsWith("ping"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pingFixtures")
  void answersEachPingFixtureWithExactlyItsId(String file) throws IOException {
    JsonValue id = parse(read("valid", file)).get("id");

    String pong = encoder.encode(new Pong(Optional.ofNullable(id)));

    JsonObject back = parse(pong);
    assertThat(back.keySet()).containsExactly("type", "id");
    assertThat(back.getString("type")).isEqualTo("pong");
    assertThat(back.get("id")).isEqualTo(id == null ? JsonValue.NULL : id);
  }

  static Stream<String> invalidFixtures() throws IOException {
    return fixtures("invalid");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFixtures")
  void quotesEachInvalidFixtureInAnErrorThatIsJsonWithinTheLimit(String file) throws IOException {
    String raw = read("invalid", file);
    String quote = Excerpt.of(raw, QUOTE_BYTES);

    String text =
        encoder.encode(new ServerMessage.Error(ErrorCode.BAD_REQUEST, quote, Optional.of(file)));

    String message = parse(text).getString("message");
    assertThat(message).isEqualTo(quote);
    assertThat(message.getBytes(UTF_8)).hasSizeLessThanOrEqualTo(QUOTE_BYTES);
    if (raw.getBytes(UTF_8).length > QUOTE_BYTES) {
      assertThat(message).endsWith(Excerpt.MARKER);
      assertThat(raw).startsWith(message.substring(0, message.length() - 1));
    } else {
      assertThat(message).isEqualTo(raw);
    }
  }

  /** What ServerMessages.ready built, field by field, before resumeFailure. */
  private static JsonObjectBuilder readyAsToday(Ready ready) {
    JsonArrayBuilder steps = JSON.createArrayBuilder();
    ready.degraded().forEach(steps::add);
    JsonArrayBuilder runs = JSON.createArrayBuilder();
    ready
        .runs()
        .forEach(
            r ->
                runs.add(
                    JSON.createObjectBuilder()
                        .add("runId", r.runId())
                        .add("agent", r.agent())
                        .add("startedSeq", r.startedSeq())));
    return JSON.createObjectBuilder()
        .add("type", "ready")
        .add("connectionId", ready.connectionId())
        .add("sessionId", ready.sessionId())
        .add("resumeToken", ready.resumeToken())
        .add("resumed", ready.resumed())
        .add("lastSeq", ready.lastSeq())
        .add("heartbeatMs", ready.heartbeatMs())
        .add(
            "limits",
            JSON.createObjectBuilder()
                .add("maxMessageBytes", LIMITS.maxMessageBytes())
                .add("holdMaxMessages", LIMITS.holdMaxMessages())
                .add("runsPerConnection", LIMITS.runsPerConnection())
                .add("messagesPerSecond", LIMITS.messagesPerSecond()))
        .add("degraded", steps)
        .add("runs", runs);
  }

  /** Same text as the builder's, equal once parsed, and the fields in this order. */
  private void assertEncodes(ServerMessage message, JsonObject expected, String... order) {
    String text = encoder.encode(message);

    assertThat(text).isEqualTo(expected.toString());
    JsonObject parsed = parse(text);
    assertThat(parsed).isEqualTo(expected);
    assertThat(parsed.keySet()).containsExactly(order);
  }

  private static JsonObject parse(String text) {
    try (JsonReader reader = JSON.createReader(new StringReader(text))) {
      return reader.readObject();
    }
  }

  private static Stream<String> fixtures(String folder) throws IOException {
    try (Stream<Path> paths = Files.list(folder(folder))) {
      List<String> names =
          paths
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".json"))
              .sorted()
              .toList();
      return names.stream();
    }
  }

  private static String read(String folder, String file) throws IOException {
    return Files.readString(folder(folder).resolve(file), UTF_8);
  }

  private static Path folder(String folder) {
    try {
      return Path.of(ServerMessageEncoderTest.class.getResource("/protocol/" + folder).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
