package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import jakarta.json.Json;
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
    // Ten floods: the client must read the 4429 every time. Before the server lingered for the
    // client's close (GuardedUpgradeHandler), closing TCP with the flood unread made Linux reset
    // the connection, and about one flood in four saw 1006 (a JDK client error) instead.
    for (int flood = 0; flood < 10; flood++) {
      Ws ws = Ws.connect(base, token("flood-" + flood));
      ws.next("ready");
      try {
        for (int i = 0; i < 200 && !ws.isClosed(); i++) {
          ws.socket().sendText("{\"type\":\"ping\",\"id\":" + i + "}", true).join();
        }
      } catch (CompletionException e) {
        // the server closed while we were still sending: expected
      }
      Ws.Close close = ws.awaitClose();
      assertThat(close.code()).as("flood %d", flood).isEqualTo(4429);
      assertThat(close.reason()).isEqualTo("too many messages");
    }
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

  // --- RFC 6455 at the edges, HTTP answers, logs (issue 12) ---

  private static final String NONCE = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

  static Stream<Arguments> handshakesToRefuse() {
    String fifteen = java.util.Base64.getEncoder().encodeToString(new byte[15]);
    return Stream.of(
        Arguments.of("POST", "HTTP/1.1", NONCE + "Content-Length: 0\r\n", 405, "bad_handshake"),
        Arguments.of("PUT", "HTTP/1.1", NONCE + "Content-Length: 0\r\n", 405, "bad_handshake"),
        Arguments.of("GET", "HTTP/1.0", NONCE, 400, "bad_handshake"),
        Arguments.of("GET", "HTTP/1.1", "Sec-WebSocket-Key: not-a-nonce\r\n", 400, "bad_handshake"),
        Arguments.of(
            "GET", "HTTP/1.1", "Sec-WebSocket-Key: " + fifteen + "\r\n", 400, "bad_handshake"),
        Arguments.of("GET", "HTTP/1.1", "", 400, "bad_handshake"),
        Arguments.of("GET", "HTTP/1.1", NONCE + NONCE, 400, "bad_handshake"));
  }

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @MethodSource("handshakesToRefuse")
  void handshakesThatRfc6455RefusesAreRefusedAsJson(
      String method, String version, String extra, int status, String error) throws Exception {
    String auth = "Authorization: Bearer " + token("handshake") + "\r\n";
    RawWs.HttpAnswer answer =
        RawWs.exchange(base, RawWs.handshake(base, method, "/ws", version, extra + auth));

    assertThat(answer.status()).as(answer.head()).isEqualTo(status);
    assertThat(answer.head()).containsIgnoringCase("content-type: application/json");
    assertThat(
            Json.createReader(new java.io.StringReader(answer.body()))
                .readObject()
                .getString("error"))
        .isEqualTo(error);
    if (status == 405) {
      assertThat(answer.head()).containsIgnoringCase("allow: GET");
    }
  }

  @Test
  void aWebSocketVersionOtherThan13Is426NamingTheVersion() throws Exception {
    String request =
        RawWs.handshake(base, "GET", "/ws", "HTTP/1.1", NONCE)
            .replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
    RawWs.HttpAnswer answer = RawWs.exchange(base, request);

    assertThat(answer.status()).isEqualTo(426);
    assertThat(answer.head()).containsIgnoringCase("sec-websocket-version: 13");
  }

  @Test
  void aPlainGetOfTheWebSocketPathSaysToUpgrade() throws Exception {
    RawWs.HttpAnswer answer =
        RawWs.exchange(base, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

    assertThat(answer.status()).isEqualTo(426);
    assertThat(answer.body()).contains("\"error\":\"upgrade_required\"");
  }

  @Test
  void anUnmaskedFrameIsAProtocolErrorNotAPong() throws Exception {
    double defects = Http.metric(base, "agentwire_closes_total", "code", "1011");
    try (RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("unmask")))) {
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
      byte[] ping = "{\"type\":\"ping\",\"id\":\"bare\"}".getBytes(StandardCharsets.UTF_8);
      byte[] frame = new byte[2 + ping.length];
      frame[0] = (byte) 0x81;
      frame[1] = (byte) ping.length; // the mask bit is not set
      System.arraycopy(ping, 0, frame, 2, ping.length);
      raw.sendRaw(frame);

      RawWs.Frame answer = nextNonPing(raw);
      assertThat(answer.opcode()).as("a close, not a pong: %s", answer.text()).isEqualTo(0x8);
      assertThat(answer.closeCode()).isEqualTo(1002);
      assertThat(answer.closeReason()).isEqualTo("protocol error: unmasked frame");
    }
    assertThat(Http.metric(base, "agentwire_closes_total", "code", "1011")).isEqualTo(defects);
  }

  @Test
  void framesDeclaringTwoToTheSixtyFourOrFiveMebibytesAreClientFaultsNot1011() throws Exception {
    double defects = Http.metric(base, "agentwire_closes_total", "code", "1011");
    try (RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("huge")))) {
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
      byte[] header = {(byte) 0x81, (byte) 0xFF, -1, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4};
      raw.sendRaw(header);
      RawWs.Frame close = raw.awaitClose();
      assertThat(close.closeCode()).isEqualTo(1002);
      assertThat(close.closeReason()).isEqualTo("protocol error: frame length");
    }
    try (RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("five")))) {
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
      int length = 5 * 1024 * 1024;
      byte[] header = {
        (byte) 0x81,
        (byte) 0xFF,
        0,
        0,
        0,
        0,
        (byte) (length >>> 24),
        (byte) (length >>> 16),
        (byte) (length >>> 8),
        (byte) length,
        1,
        2,
        3,
        4
      };
      raw.sendRaw(header);
      raw.sendRaw(new byte[64 * 1024]); // the start of the payload: refused before it is kept
      RawWs.Frame close = raw.awaitClose();
      assertThat(close.closeCode()).isEqualTo(1009);
      assertThat(close.closeReason()).isEqualTo("message too big");
    }
    assertThat(Http.metric(base, "agentwire_closes_total", "code", "1011"))
        .as("no client fault is answered as a server defect")
        .isEqualTo(defects);
  }

  @Test
  void resetsAtRandomPointsOfSetUpAreNoInvalidTransition() throws Exception {
    double invalid =
        Http.metric(base, "agentwire_race_patterns_total", "pattern", "invalid_state_transition");
    double defects = Http.metric(base, "agentwire_closes_total", "code", "1011");
    java.util.Random random = new java.util.Random(12);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        // Where the reset lands: before the 101, or after it during set-up (token check, admission,
        // session, ready). Not a wait for anything: the point of the fault.
        long resetAfterNanos = random.nextInt(3_000_000);
        boolean after101 = random.nextBoolean();
        String auth = "Authorization: Bearer " + token("reset-" + (i % 97)) + "\r\n";
        all.add(
            pool.submit(
                () -> {
                  try (java.net.Socket s = new java.net.Socket("127.0.0.1", base.getPort())) {
                    s.getOutputStream()
                        .write(
                            RawWs.handshake(base, "GET", "/ws", "HTTP/1.1", NONCE + auth)
                                .getBytes(StandardCharsets.ISO_8859_1));
                    if (after101) {
                      s.getInputStream().readNBytes(12); // "HTTP/1.1 101"
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(resetAfterNanos);
                    s.setSoLinger(true, 0);
                  }
                  return null;
                }));
      }
      for (var f : all) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    org.awaitility.Awaitility.await("every reset connection closed on the server")
        .atMost(Ws.WAIT)
        .until(
            () ->
                Stream.of("CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY", "READY")
                        .mapToDouble(st -> Http.metric(base, "agentwire_connections", "state", st))
                        .sum()
                    == 0);
    assertThat(
            Http.metric(
                base, "agentwire_race_patterns_total", "pattern", "invalid_state_transition"))
        .isEqualTo(invalid);
    assertThat(Http.metric(base, "agentwire_closes_total", "code", "1011")).isEqualTo(defects);
  }

  @Test
  void closeCodesClientsChooseMintNoMetricSeries() throws Exception {
    long seriesBefore = closeSeries();
    double otherBefore = Http.metric(base, "agentwire_closes_total", "code", "other");
    for (int code = 4100; code < 4140; code++) {
      try (RawWs raw =
          RawWs.open(base, null, Map.of("Authorization", "Bearer " + token("code-" + code % 3)))) {
        assertThat(raw.next().text()).contains("\"type\":\"ready\"");
        raw.send(0x8, new byte[] {(byte) (code >> 8), (byte) code});
        assertThat(raw.awaitClose().closeCode()).isEqualTo(code);
      }
    }
    org.awaitility.Awaitility.await("the forty closes counted")
        .atMost(Ws.WAIT)
        .until(
            () -> Http.metric(base, "agentwire_closes_total", "code", "other") >= otherBefore + 40);
    assertThat(closeSeries())
        .as("at most the one series 'other' more")
        .isLessThanOrEqualTo(seriesBefore + 1);
  }

  private long closeSeries() {
    return Http.get(base, "/metrics", null)
        .body()
        .lines()
        .filter(l -> l.startsWith("agentwire_closes_total{"))
        .count();
  }

  @Test
  void noHttpErrorIsAnHtmlPage() throws Exception {
    for (String[] probe :
        new String[][] {
          {"GET", "/no/such/page"},
          {"GET", "/api/no-such-resource"},
          {"DELETE", "/api/diagnostics"},
          {"POST", "/api/dev/token"},
          {"GET", "/_error"},
        }) {
      // Grizzly itself refuses a body on GET and DELETE, before the servlet container, with a bare
      // 400 (README, abuse table): bodies go with POST only.
      String body =
          !probe[0].equals("POST")
              ? "\r\n"
              : "Content-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot json!";
      RawWs.HttpAnswer answer =
          RawWs.exchange(
              base,
              probe[0]
                  + " "
                  + probe[1]
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  + body);
      assertThat(answer.status()).as("%s %s", probe[0], probe[1]).isBetween(400, 499);
      assertThat(answer.head())
          .as("%s %s", probe[0], probe[1])
          .containsIgnoringCase("application/json");
      assertThat(answer.body())
          .as("%s %s", probe[0], probe[1])
          .startsWith("{\"error\":\"")
          .doesNotContain("<html");
    }
  }

  @Test
  void oddPathsAndRefusedUpgradesWriteNoStackTrace() throws Exception {
    int logBefore = ServerLog.text().length();
    String auth = "Authorization: Bearer garbage\r\n";
    for (String path : List.of("/ws/.", "/ws%00", "/ws/..;/ws", "/%2e/ws", "/ws;x=1")) {
      RawWs.HttpAnswer answer =
          RawWs.exchange(base, RawWs.handshake(base, "GET", path, "HTTP/1.1", NONCE + auth));
      assertThat(answer.status()).as(path).isNotEqualTo(500);
    }
    for (int i = 0; i < 50; i++) {
      try (RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer not-a-token"))) {
        assertThat(raw.awaitClose().closeCode()).isEqualTo(4401);
      }
    }
    String log = ServerLog.text().substring(logBefore);
    assertThat(log.lines().filter(l -> l.trim().startsWith("at ")).toList())
        .as("stack trace lines in the server log")
        .isEmpty();
    assertThat(log).doesNotContain("SEVERE").doesNotContain("[ERROR]");
  }

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
