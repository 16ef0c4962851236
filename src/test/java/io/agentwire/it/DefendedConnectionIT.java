package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A defended connection (PROTOCOL sections 2, 4, 5, 8) in production defaults with short limits:
 * each row of the README's abuse table, with a real client.
 */
@ExtendWith(ArquillianExtension.class)
class DefendedConnectionIT {

  static {
    ServerLog.capture();
  }

  /** Every token this class sent; none may appear in the server's log. */
  private static final List<String> SENT_TOKENS = new ArrayList<>();

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
            SetupWindow.trustingTestKey(
                """
            mp.config.profile=production
            mp.jwt.verify.clock.skew=1
            agentwire.security.allowed-origins=https://app.agentwire.example
            agentwire.heartbeat.interval=PT1S
            agentwire.limits.messages-per-second=20
            agentwire.limits.connections-per-subject=3
            agentwire.agents.step-delay=PT0.5S
            """))
        .addClasses(
            TestAgents.class,
            TestAgents.Exploding.class,
            TestAgents.Stubborn.class,
            TestAgents.Chatty.class);
  }

  @ArquillianResource URL base;

  static String remember(String token) {
    synchronized (SENT_TOKENS) {
      SENT_TOKENS.add(token);
    }
    return token;
  }

  static String token(String subject) {
    return remember(SetupWindow.token(subject));
  }

  // --- tokens ---

  static Stream<Arguments> badTokens() {
    var key = TestTokens.rsaKey();
    Instant now = Instant.now();
    return Stream.of(
        Arguments.of("expired", TestTokens.expired(key, Duration.ofMinutes(5)), "expired"),
        Arguments.of("wrong issuer", TestTokens.wrongIssuer(key), "wrong issuer"),
        Arguments.of(
            "alg none",
            TestTokens.unsigned(TestTokens.claims("mallory").build()),
            "unsupported algorithm"),
        Arguments.of(
            "HS256 keyed with the public key",
            TestTokens.hs256WithPublicKeyAsSecret(key, TestTokens.claims("mallory").build()),
            "unsupported algorithm"),
        Arguments.of(
            "future nbf", TestTokens.notYetValid(key, Duration.ofMinutes(5)), "not yet valid"),
        Arguments.of("garbage", "not.a.token", "malformed token"),
        Arguments.of(
            "signed by another key",
            TestTokens.valid(TestTokens.newRsaKey("other"), "mallory"),
            "bad signature"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void refusesBadTokensWith4401NamingTheFailure(String name, String token, String why) {
    Ws ws = Ws.connect(base, remember(token));
    Ws.Close close = ws.awaitClose();

    assertThat(close.code()).isEqualTo(4401);
    assertThat(close.reason()).isEqualTo("unauthorized: " + why);
    assertThat(ws.pending()).isEmpty();
  }

  @Test
  void aTokenThatExpiresWhileOpenClosesWith4401AndNoEventFollows() {
    Instant exp = Instant.now().plusSeconds(3);
    String token =
        remember(
            TestTokens.sign(
                TestTokens.rsaKey(),
                TestTokens.claims("short-lived").expirationTime(Date.from(exp)).build()));
    Ws ws = Ws.connect(base, token);
    ws.next("ready");
    // A run that emits an event every 200 ms until the end: "no event follows" can fail.
    ws.send("{\"type\":\"run\",\"agent\":\"chatty\",\"input\":null,\"runId\":\"long\"}");

    Ws.Close close = ws.awaitClose();

    assertThat(close.code()).isEqualTo(4401);
    assertThat(close.reason()).isEqualTo("unauthorized: token expired");
    Instant end = exp.plusSeconds(1); // skew 1 s
    List<Instant> thoughts =
        ws.pending().stream()
            .filter(m -> "agent_thinking".equals(m.getString("type", "")))
            .map(m -> Instant.parse(m.getString("ts")))
            .toList();
    assertThat(thoughts).as("events streamed while the token was valid").hasSizeGreaterThan(3);
    assertThat(thoughts).allMatch(ts -> ts.isBefore(end), "sent before the token's end");
  }

  // --- origin and subprotocol ---

  @Test
  void refusesAForeignOriginWith403BeforeTheUpgrade() throws Exception {
    try (RawWs raw =
        RawWs.open(
            base,
            null,
            Map.of(
                "Origin", "https://evil.example", "Authorization", "Bearer " + token("origin")))) {
      assertThat(raw.status()).isEqualTo(403);
      assertThat(raw.body()).contains("\"error\":\"forbidden_origin\"");
    }
  }

  @Test
  void letsAnAllowedOriginAndAClientWithoutOriginIn() throws Exception {
    try (RawWs raw =
        RawWs.open(
            base,
            null,
            Map.of(
                "Origin",
                "https://app.agentwire.example",
                "Authorization",
                "Bearer " + token("allowed-origin")))) {
      assertThat(raw.status()).isEqualTo(101);
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
    }
    // Non-browser clients send no Origin at all (RFC 6455 section 4.1: only browsers must).
    try (RawWs raw =
        RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("no-origin")))) {
      assertThat(raw.status()).isEqualTo(101);
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
    }
  }

  @Test
  void letsAPageOfThisServerItselfIn() throws Exception {
    // RawWs sends Host: 127.0.0.1:<port>; the page's Origin names the same authority, as the
    // console at / does. Not in allowed-origins: only agentwire.security.allow-same-origin lets
    // it in.
    try (RawWs raw =
        RawWs.open(
            base,
            null,
            Map.of(
                "Origin",
                "http://127.0.0.1:" + base.getPort(),
                "Authorization",
                "Bearer " + token("same-origin")))) {
      assertThat(raw.status()).isEqualTo(101);
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
    }
    try (RawWs raw =
        RawWs.open(
            base,
            null,
            Map.of(
                "Origin",
                "http://127.0.0.1:" + (base.getPort() + 1),
                "Authorization",
                "Bearer " + token("other-port")))) {
      assertThat(raw.status()).isEqualTo(403);
    }
  }

  @Test
  void refusesTwoOriginHeadersEvenWhenTheFirstIsAllowed() throws Exception {
    // The value's CRLF makes RawWs write two Origin header lines: allowed, then evil.
    try (RawWs raw =
        RawWs.open(
            base,
            null,
            Map.of(
                "Origin",
                "https://app.agentwire.example\r\nOrigin: https://evil.example",
                "Authorization",
                "Bearer " + token("two-origins")))) {
      assertThat(raw.status()).isEqualTo(403);
      assertThat(raw.body()).contains("\"error\":\"forbidden_origin\"");
    }
  }

  @Test
  void refusesForeignSubprotocolsWith400AndSelectsOurs() throws Exception {
    try (RawWs raw =
        RawWs.open(
            base,
            null,
            Map.of(
                "Sec-WebSocket-Protocol",
                "mqtt, graphql-ws",
                "Authorization",
                "Bearer " + token("subprotocol")))) {
      assertThat(raw.status()).isEqualTo(400);
      assertThat(raw.body()).contains("\"error\":\"unsupported_subprotocol\"");
    }
    Ws ws = Ws.connect(base, token("subprotocol-ok"), "", List.of("other", "agentwire.v1"));
    assertThat(ws.socket().getSubprotocol()).isEqualTo("agentwire.v1");
    ws.next("ready");
    ws.close();
  }

  // --- limits ---

  @Test
  void closesAMessageOverTheSizeLimitWith1009() {
    Ws ws = Ws.connect(base, token("big"));
    ws.next("ready");
    ws.send("{\"type\":\"ping\",\"id\":\"" + "x".repeat(70 * 1024) + "\"}");

    Ws.Close close = ws.awaitClose();
    assertThat(close.code()).isEqualTo(1009);
    assertThat(close.reason()).isEqualTo("message too big");
  }

  @Test
  void closesABinaryFrameWith1003() {
    Ws ws = Ws.connect(base, token("binary"));
    ws.next("ready");
    ws.socket().sendBinary(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();

    Ws.Close close = ws.awaitClose();
    assertThat(close.code()).isEqualTo(1003);
    assertThat(close.reason()).isEqualTo("text frames only");
  }

  @Test
  void closesAFloodOverTheMessageRateWith4429() {
    Ws ws = Ws.connect(base, token("flood"));
    ws.next("ready");
    try {
      for (int i = 0; i < 200 && !ws.isClosed(); i++) {
        ws.socket().sendText("{\"type\":\"ping\",\"id\":" + i + "}", true).join();
      }
    } catch (CompletionException e) {
      // the server closed while we were still sending: expected
    }
    Ws.Close close = ws.awaitClose();
    assertThat(close.code()).isEqualTo(4429);
    assertThat(close.reason()).isEqualTo("too many messages");
  }

  @Test
  void oneConnectionOverThePerSubjectLimitGets4429WhileTheOthersKeepWorking() {
    List<Ws> three = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Ws ws = Ws.connect(base, token("greedy"));
      ws.next("ready");
      three.add(ws);
    }
    Ws fourth = Ws.connect(base, token("greedy"));
    Ws.Close close = fourth.awaitClose();
    assertThat(close.code()).isEqualTo(4429);
    assertThat(close.reason()).isEqualTo("too many connections");
    assertThat(fourth.pending()).isEmpty();

    for (Ws ws : three) {
      ws.send("{\"type\":\"ping\",\"id\":\"still\"}");
      assertThat(ws.next("pong").getString("id")).isEqualTo("still");
      ws.close();
    }
  }

  // --- hostile input ---

  static Stream<Arguments> badMessages() {
    return Stream.of(
        Arguments.of("not JSON", "{not json", "bad_request"),
        Arguments.of(
            "deep nesting",
            "{\"type\":\"ping\",\"id\":" + "[".repeat(40) + "]".repeat(40) + "}",
            "bad_request"),
        Arguments.of("duplicate keys", "{\"type\":\"ping\",\"type\":\"run\"}", "bad_request"),
        Arguments.of(
            "huge number", "{\"type\":\"ack\",\"seq\":1E99999999999999999999}", "bad_request"),
        Arguments.of("wrong field type", "{\"type\":\"cancel\",\"runId\":42}", "bad_request"),
        Arguments.of("missing field", "{\"type\":\"run\",\"input\":1}", "bad_request"),
        Arguments.of("unknown type", "{\"type\":\"launch_missiles\"}", "unknown_type"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badMessages")
  void answersBadInputWithAnErrorAndStaysOpen(String name, String message, String code) {
    Ws ws = Ws.connect(base, token("fuzzy-" + name.replace(' ', '-')));
    ws.next("ready");
    ws.send(message);

    JsonObject error = ws.next("error");
    assertThat(error.getString("code")).isEqualTo(code);
    ws.send("{\"type\":\"ping\",\"id\":\"next\"}");
    assertThat(ws.next("pong").getString("id")).isEqualTo("next");
    ws.close();
  }

  /**
   * RFC 6455 section 8.1: an endpoint that finds invalid UTF-8 in a text frame MUST fail the
   * connection, with 1007; Tyrus does so before any handler sees the frame. It is the client's
   * fault, so it must never be a 1011.
   */
  @Test
  void closesInvalidUtf8With1007AsRfc6455Requires() throws Exception {
    try (RawWs raw =
        RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("bad-utf8")))) {
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
      byte[] invalid = "{\"type\":\"ping\",\"id\":\"\u0000\"}".getBytes(StandardCharsets.UTF_8);
      invalid[invalid.length - 3] = (byte) 0xC3; // a lead byte without its continuation
      raw.send(0x1, invalid);
      RawWs.Frame close = raw.awaitClose();
      assertThat(close.closeCode()).isEqualTo(1007);
    }
  }

  /**
   * A client that goes away (a TCP reset in the middle of a frame, or between the fragments of a
   * message) is not a server defect: no 1011, no incident, no ERROR in the log.
   */
  @Test
  void aClientThatResetsMidMessageIsNeitherADefectNorAnError() throws Exception {
    double defectsBefore = Http.metric(base, "agentwire_closes_total", "code", "1011");
    int logBefore = ServerLog.text().length();
    for (int i = 0; i < 6; i++) {
      RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("reset-" + i)));
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
      if (i % 2 == 0) {
        raw.resetMidFrame(true, 1000, 10);
      } else {
        raw.sendFirstFragment("{\"type\":\"ping\",");
        raw.reset();
      }
    }
    String admin = remember(TestTokens.valid(TestTokens.rsaKey(), "ops", "agentwire-admin"));
    org.awaitility.Awaitility.await("the reset connections are closed on the server")
        .atMost(Ws.WAIT)
        .until(
            () ->
                Http.get(base, "/api/diagnostics", admin)
                    .json()
                    .getJsonArray("connections")
                    .stream()
                    .map(c -> c.asJsonObject().getString("subject"))
                    .noneMatch(subject -> subject.startsWith("reset-")));

    assertThat(Http.metric(base, "agentwire_closes_total", "code", "1011"))
        .isEqualTo(defectsBefore);
    String log = ServerLog.text().substring(logBefore);
    assertThat(log).doesNotContain("incident");
    assertThat(log).doesNotContainPattern("\\[(SEVERE|ERROR)\\] \\[[^\\]]*\\] \\[agentwire");
  }

  // --- heartbeat ---

  @Test
  void closesASilentClientWith1001AfterTwoHeartbeatIntervals() throws Exception {
    try (RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("silent")))) {
      assertThat(raw.status()).isEqualTo(101);
      long start = System.nanoTime();
      RawWs.Frame close = raw.awaitClose();
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(close.closeCode()).isEqualTo(1001);
      assertThat(close.closeReason()).isEqualTo("idle");
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1_900));
    }
  }

  @Test
  void keepsAClientThatAnswersPingsOpenPastTwoIntervals() {
    Ws ws = Ws.connect(base, token("lively"));
    ws.next("ready");
    // The JDK client answers ping frames itself: three intervals pass without a close, and
    // without any message (heartbeats are frames, not messages).
    assertThat(ws.closedWithin(Duration.ofSeconds(3))).isEmpty();
    assertThat(ws.pending()).isEmpty();
    ws.send("{\"type\":\"ping\",\"id\":\"alive\"}");
    assertThat(ws.next("pong").getString("id")).isEqualTo("alive");
    ws.close();
  }

  // --- logs ---

  @AfterAll
  static void noTokenAppearsInTheServerLog() {
    String log = ServerLog.text();
    assertThat(log).as("the server log was captured").contains("agentwire started");
    synchronized (SENT_TOKENS) {
      assertThat(SENT_TOKENS).isNotEmpty();
      for (String token : SENT_TOKENS) {
        for (String part : token.split("\\.")) {
          if (part.length() >= 16) { // header, claims or signature; short garbage is no token
            assertThat(log).as("a part of a token in the server log").doesNotContain(part);
          }
        }
      }
    }
  }

  private static RawWs.Frame nextNonPing(RawWs raw) throws java.io.IOException {
    while (true) {
      RawWs.Frame f = raw.next();
      if (f.opcode() != 0x9) {
        return f;
      }
    }
  }
}
