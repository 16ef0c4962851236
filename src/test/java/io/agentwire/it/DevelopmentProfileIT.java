package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The development profile (permissive) with a visible set-up window: the lifecycle guarantees G1,
 * G2 and G5 with a real client, authentication failures, health, metrics, diagnostics, and agent
 * runs streamed end to end.
 */
@ExtendWith(ArquillianExtension.class)
class DevelopmentProfileIT {

  static {
    ServerLog.capture();
  }

  static final String ISSUER = "agentwire-development";

  /** The analyze agent's events of one run, in order (PROTOCOL section 4). */
  static final List<String> ANALYZE_EVENTS =
      List.of(
          "agent_started",
          "agent_thinking",
          "tool_executing",
          "tool_completed",
          "agent_thinking",
          "tool_executing",
          "tool_completed",
          "agent_completed");

  static final String TEXT =
      "Agents stream events to clients; agents call tools, and agents report results over the wire.";

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
            """
            mp.config.profile=development
            agentwire.chaos.init-delay=PT0.5S
            agentwire.agents.step-delay=PT0.1S
            agentwire.agents.cancel-grace=PT0.5S
            agentwire.log.race-interval=PT2S
            """)
        .addClasses(TestAgents.class, TestAgents.Exploding.class, TestAgents.Stubborn.class);
  }

  @ArquillianResource URL base;

  private String token(String subject) {
    return TestTokens.development(ISSUER, subject, "agentwire-user");
  }

  // --- lifecycle ---

  @Test
  void readyIsTheFirstMessageWithEveryField() {
    Ws ws = Ws.connect(base, token("ready-first"));
    JsonObject ready = ws.next("ready");

    assertThat(ready.getString("connectionId")).isNotBlank();
    assertThat(ready.getString("sessionId")).isNotBlank();
    assertThat(ready.getString("resumeToken")).isNotBlank();
    assertThat(ready.getBoolean("resumed")).isFalse();
    assertThat(ready.getJsonNumber("lastSeq").longValue()).isZero();
    assertThat(ready.getJsonNumber("heartbeatMs").longValue()).isEqualTo(25_000);
    JsonObject limits = ready.getJsonObject("limits");
    assertThat(limits.getInt("maxMessageBytes")).isEqualTo(65_536);
    assertThat(limits.getInt("holdMaxMessages")).isEqualTo(64);
    assertThat(limits.getInt("runsPerConnection")).isEqualTo(4);
    assertThat(limits.containsKey("messagesPerSecond")).isTrue();
    assertThat(ready.getJsonArray("degraded")).isEmpty();
    ws.close();
  }

  @Test
  void holdsPingsSentRightAfterOpenAndAnswersThemInOrderAfterReady() {
    double heldBefore =
        Http.metric(base, "agentwire_race_patterns_total", "pattern", "message_before_ready");
    Ws ws = Ws.connect(base, token("early-pinger"));
    for (int i = 1; i <= 5; i++) {
      ws.send("{\"type\":\"ping\",\"id\":" + i + "}");
    }

    ws.next("ready");
    for (int i = 1; i <= 5; i++) {
      JsonObject pong = ws.next("pong");
      assertThat(pong.getInt("id")).isEqualTo(i);
    }
    ws.close();
    assertThat(
            Http.metric(base, "agentwire_race_patterns_total", "pattern", "message_before_ready"))
        .as("/metrics counts the held messages")
        .isGreaterThanOrEqualTo(heldBefore + 5);
  }

  /** Issue 8: a storm of early senders is counted in full but logs a few lines and a summary. */
  @Test
  void raceLinesAreRateLimitedPerPatternButEveryRaceIsCounted() {
    double before =
        Http.metric(base, "agentwire_race_patterns_total", "pattern", "message_before_ready");
    int logBefore = ServerLog.text().length();
    List<Ws> storm = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Ws ws = Ws.connect(base, token("storm-" + i));
      ws.send("{\"type\":\"ping\",\"id\":1}");
      ws.send("{\"type\":\"ping\",\"id\":2}");
      storm.add(ws);
    }
    for (Ws ws : storm) {
      ws.next("ready");
      assertThat(ws.next("pong").getInt("id")).isEqualTo(1);
      assertThat(ws.next("pong").getInt("id")).isEqualTo(2);
      ws.close();
    }
    assertThat(
            Http.metric(base, "agentwire_race_patterns_total", "pattern", "message_before_ready"))
        .as("every held message is counted")
        .isEqualTo(before + 60);
    String summary = "race_pattern=message_before_ready suppressed=";
    org.awaitility.Awaitility.await("the summary line")
        .atMost(Duration.ofSeconds(15))
        .until(() -> ServerLog.text().substring(logBefore).contains(summary));
    String log = ServerLog.text().substring(logBefore);
    long lines =
        log.lines()
            .filter(l -> l.contains("race_pattern=message_before_ready connection="))
            .count();
    assertThat(lines)
        .as(
            "5 lines per 2 s interval at most (shared with the tests before), not one per race (60)")
        .isLessThanOrEqualTo(20L);
  }

  @Test
  void refusesAMissingTokenWith4401AndSendsNothing() {
    Ws ws = Ws.connect(base, null);
    Ws.Close close = ws.awaitClose();

    assertThat(close.code()).isEqualTo(4401);
    assertThat(close.reason()).isEqualTo("unauthorized: missing token");
    assertThat(ws.pending()).isEmpty();
  }

  @Test
  void refusesAnExpiredTokenWith4401() {
    String expired =
        TestTokens.sign(
            TestTokens.developmentKey(),
            TestTokens.claims(java.time.Instant.now().minus(Duration.ofHours(2)), "late")
                .issuer(ISSUER)
                .expirationTime(
                    java.util.Date.from(java.time.Instant.now().minus(Duration.ofMinutes(10))))
                .build());
    Ws ws = Ws.connect(base, expired);
    Ws.Close close = ws.awaitClose();

    assertThat(close.code()).isEqualTo(4401);
    assertThat(close.reason()).isEqualTo("unauthorized: expired");
    assertThat(close.reason()).doesNotContain(expired.split("\\.")[2]);
    assertThat(ws.pending()).isEmpty();
  }

  @Test
  void acceptsTheTokenAsAQueryParameterForBrowsers() {
    Ws ws = Ws.connect(base, null, "access_token=" + token("browser"), List.of());
    assertThat(ws.next("ready").getString("connectionId")).isNotBlank();
    ws.close();
  }

  @Test
  void twoHundredSimultaneousConnectionsAllGetReadyThenTheirPong() throws Exception {
    int n = 200;
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<Future<String>> outcomes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String subject = "crowd-" + (i % 10);
      String id = "p" + i;
      outcomes.add(
          pool.submit(
              () -> {
                Ws ws = Ws.connect(base, token(subject));
                ws.send("{\"type\":\"ping\",\"id\":\"" + id + "\"}");
                String first = ws.next().getString("type");
                JsonObject second = ws.next();
                ws.close();
                return first + "," + second.getString("type") + "," + second.getString("id");
              }));
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < n; i++) {
      assertThat(outcomes.get(i).get()).isEqualTo("ready,pong,p" + i);
    }
    assertThat(Http.metric(base, "agentwire_closes_total", "code", "1011")).isZero();
  }

  // --- health, metrics, diagnostics, development tokens ---

  @Test
  void healthProbesAreUp() {
    assertThat(Http.get(base, "/health/live", null).status()).isEqualTo(200);
    assertThat(Http.get(base, "/health/ready", null).status()).isEqualTo(200);
    Http.Answer started = Http.get(base, "/health/started", null);
    assertThat(started.status()).isEqualTo(200);
    assertThat(started.body()).contains("agentwire-started");
  }

  @Test
  void metricsExposeConnectionsByStateAndTimeToReady() {
    Ws ws = Ws.connect(base, token("metrics"));
    ws.next("ready");
    String metrics = Http.get(base, "/metrics", null).body();
    ws.close();

    assertThat(metrics).contains("agentwire_connections{mp_scope=\"application\",state=\"READY\"}");
    assertThat(Http.metric(base, "agentwire_open_to_ready_seconds_count", null, null)).isPositive();
    // Present, not merely "0 when absent": metric() reads 0 for a missing series.
    assertThat(metrics).containsPattern("(?m)^agentwire_held_messages_total\\{[^}]*\\} \\d");
  }

  @Test
  void diagnosticsShowAConnectionsTimelineToAdminsOnly() {
    Ws ws = Ws.connect(base, token("observed"));
    String id = ws.next("ready").getString("connectionId");
    String admin = Http.devToken(base, "operator", "agentwire-admin");

    Http.Answer one = Http.get(base, "/api/diagnostics/connections/" + id, admin);
    assertThat(one.status()).isEqualTo(200);
    JsonObject c = one.json();
    assertThat(c.getString("state")).isEqualTo("READY");
    assertThat(c.getJsonArray("timeline").getValuesAs(JsonObject.class))
        .extracting(t -> t.getString("to"))
        .containsExactly("CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY", "READY");
    assertThat(one.body()).doesNotContain(admin).doesNotContain(token("observed").split("\\.")[1]);

    Http.Answer all = Http.get(base, "/api/diagnostics", admin);
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().getJsonObject("racePatterns").containsKey("message_before_ready"))
        .isTrue();

    JsonObject ready = c; // the connection's own diagnostics name its session
    String sessionId = ready.getString("sessionId");
    assertThat(session(all.json(), sessionId).getString("state")).isEqualTo("attached");
    ws.close();
    ws.awaitClose();
    // The session outlives its connection (PROTOCOL section 6): detached, within its retention.
    org.awaitility.Awaitility.await("the closed connection's session is detached, not forgotten")
        .atMost(Ws.WAIT)
        .until(
            () ->
                "detached"
                    .equals(
                        session(Http.get(base, "/api/diagnostics", admin).json(), sessionId)
                            .getString("state")));
    Http.Answer after = Http.get(base, "/api/diagnostics", admin);
    assertThat(session(after.json(), sessionId).getJsonNumber("expiresInMs").longValue())
        .isPositive();

    Http.Answer unauthorized = Http.get(base, "/api/diagnostics", null);
    assertThat(unauthorized.status()).isEqualTo(401);
    // RFC 6750 section 3: a 401 names the scheme it wants.
    assertThat(unauthorized.header("WWW-Authenticate")).contains("Bearer realm=\"agentwire\"");
    assertThat(Http.get(base, "/api/diagnostics", "not-a-token").header("WWW-Authenticate"))
        .contains("Bearer realm=\"agentwire\", error=\"invalid_token\"");
    assertThat(
            Http.get(base, "/api/diagnostics", Http.devToken(base, "user", "agentwire-user"))
                .status())
        .isEqualTo(403);
  }

  @Test
  void aDevelopmentTokenRequestWithGroupsThatAreNotStringsIsABadRequestNotA500() {
    Http.Answer answer = Http.post(base, "/api/dev/token", "{\"sub\":\"x\",\"groups\":[1,{}]}");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.header("Content-Type")).get().asString().startsWith("application/json");
    assertThat(answer.json().getString("error")).isEqualTo("bad_request");
    assertThat(answer.json().getString("message")).isEqualTo("groups must be a list of strings");
  }

  @Test
  void aDevelopmentTokenLivesAsLongAsAskedWithinOneDay() {
    Http.Answer answer =
        Http.post(base, "/api/dev/token", "{\"sub\":\"short\",\"expiresInSeconds\":7}");
    assertThat(answer.status()).isEqualTo(200);
    String payload = answer.json().getString("token").split("\\.")[1];
    JsonObject claims =
        Json.createReader(
                new StringReader(
                    new String(
                        java.util.Base64.getUrlDecoder().decode(payload),
                        java.nio.charset.StandardCharsets.UTF_8)))
            .readObject();
    assertThat(claims.getJsonNumber("exp").longValue() - claims.getJsonNumber("iat").longValue())
        .isEqualTo(7);

    for (String bad : List.of("0", "86401", "1.5", "\"60\"", "-3", "1e30")) {
      Http.Answer refused =
          Http.post(base, "/api/dev/token", "{\"sub\":\"x\",\"expiresInSeconds\":" + bad + "}");
      assertThat(refused.status()).as(bad).isEqualTo(400);
      assertThat(refused.json().getString("message"))
          .isEqualTo("expiresInSeconds must be an integer from 1 to 86400");
    }
  }

  // --- agent runs ---

  /** The original failing test: connect, authenticate, run an agent, receive its events in time. */
  @Test
  void realAgentPipelineExecution() {
    Ws ws = Ws.connect(base, Http.devToken(base, "pipeline", "agentwire-user"));
    ws.send(run("analyze", Json.createValue(TEXT), "pipe-1"));
    long lastSeq = ws.next("ready").getJsonNumber("lastSeq").longValue();

    List<JsonObject> events = eventsUntilTerminal(ws, "pipe-1");

    assertContractOrder(events, lastSeq);
    assertThat(events)
        .extracting(e -> e.getString("type"))
        .containsExactlyElementsOf(ANALYZE_EVENTS);
    assertThat(events.get(3).getJsonObject("data").getInt("result")).isEqualTo(15);
    assertThat(events.get(6).getJsonObject("data").getJsonArray("result").getString(0))
        .isEqualTo("agents");
    ws.close();
  }

  @Test
  void echoCompletesWithItsInputForSeveralJsonShapes() {
    Ws ws = Ws.connect(base, token("echo"));
    ws.next("ready");
    List<String> shapes =
        List.of(
            "\"text\"",
            "42",
            "-1.5",
            "true",
            "null",
            "[1,\"two\",[3]]",
            "{\"nested\":{\"list\":[{},[]],\"n\":0}}",
            "\"unicode ✓ \\u00e9\"");
    for (int i = 0; i < shapes.size(); i++) {
      JsonValue input =
          Json.createReader(new StringReader("[" + shapes.get(i) + "]")).readArray().get(0);
      ws.send(run("echo", input, "echo-" + i));
      List<JsonObject> events = eventsUntilTerminal(ws, "echo-" + i);
      assertThat(events)
          .extracting(e -> e.getString("type"))
          .containsExactly("agent_started", "agent_completed");
      assertThat(events.get(1).getJsonObject("data").get("output")).isEqualTo(input);
    }
    ws.close();
  }

  @Test
  void fourConcurrentRunsKeepTheirOwnOrderAndTheFifthGetsRunLimit() {
    Ws ws = Ws.connect(base, token("busy"));
    long lastSeq = ws.next("ready").getJsonNumber("lastSeq").longValue();
    for (int i = 1; i <= 5; i++) {
      ws.send(run("analyze", Json.createValue(TEXT), "r" + i));
    }

    Map<String, List<JsonObject>> byRun = new HashMap<>();
    List<JsonObject> all = new ArrayList<>();
    JsonObject limitError = null;
    int terminals = 0;
    while (terminals < 4) {
      JsonObject m = ws.next();
      if ("error".equals(m.getString("type"))) {
        assertThat(limitError).as("only one error").isNull();
        limitError = m;
        continue;
      }
      all.add(m);
      byRun.computeIfAbsent(m.getString("runId"), k -> new ArrayList<>()).add(m);
      if (m.getString("type").startsWith("agent_")
          && !m.getString("type").equals("agent_started")
          && !m.getString("type").equals("agent_thinking")) {
        terminals++;
      }
    }
    assertThat(limitError).isNotNull();
    assertThat(limitError.getString("code")).isEqualTo("run_limit");
    assertThat(limitError.getString("ref")).isEqualTo("r5");
    assertThat(byRun).containsOnlyKeys("r1", "r2", "r3", "r4");
    byRun.values().forEach(events -> assertContractOrder(events, -1));
    // They really run at once: before the first run ends, every run has started thinking.
    List<String> thinkingBeforeFirstEnd = new ArrayList<>();
    for (JsonObject m : all) {
      if (m.getString("type").equals("agent_completed")) {
        break;
      }
      if (m.getString("type").equals("agent_thinking")) {
        thinkingBeforeFirstEnd.add(m.getString("runId"));
      }
    }
    assertThat(thinkingBeforeFirstEnd).containsAll(List.of("r1", "r2", "r3", "r4"));
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i).getJsonNumber("seq").longValue()).isEqualTo(lastSeq + 1 + i);
    }
    // A slot is free again once runs ended.
    ws.send(run("echo", Json.createValue("again"), "r6"));
    assertThat(eventsUntilTerminal(ws, "r6"))
        .last()
        .extracting(e -> e.getString("type"))
        .isEqualTo("agent_completed");
    ws.close();
  }

  @Test
  void cancelEndsARunningRunWithAgentCancelled() {
    Ws ws = Ws.connect(base, token("canceller"));
    ws.next("ready");
    ws.send(run("analyze", Json.createValue(TEXT), "c1"));
    assertThat(ws.next("agent_started").getString("runId")).isEqualTo("c1");
    ws.send("{\"type\":\"cancel\",\"runId\":\"c1\"}");

    List<JsonObject> rest = eventsUntilTerminal(ws, "c1");
    assertThat(rest).last().extracting(e -> e.getString("type")).isEqualTo("agent_cancelled");
    // The agent itself stopped at its next step; the grace timer would say "grace passed".
    assertThat(rest.get(rest.size() - 1).getJsonObject("data").getString("reason"))
        .isEqualTo("cancelled by client");
    ws.send("{\"type\":\"cancel\",\"runId\":\"c1\"}");
    JsonObject error = ws.next("error");
    assertThat(error.getString("code")).isEqualTo("unknown_run");
    ws.close();
  }

  @Test
  void anAgentThatIgnoresCancellationIsInterruptedAfterTheGrace() {
    Ws ws = Ws.connect(base, token("stubborn"));
    ws.next("ready");
    ws.send(run("stubborn", JsonValue.NULL, "s1"));
    ws.next("agent_started");
    ws.next("agent_thinking");
    ws.send("{\"type\":\"cancel\",\"runId\":\"s1\"}");

    JsonObject end = ws.next();
    assertThat(end.getString("type")).isEqualTo("agent_cancelled");
    assertThat(end.getJsonObject("data").getString("reason"))
        .isEqualTo("cancelled by client, grace passed");
    org.awaitility.Awaitility.await("the agent's thread was interrupted")
        .atMost(Ws.WAIT)
        .until(() -> ServerLog.text().contains("stubborn interrupted: s1"));
    ws.send("{\"type\":\"ping\",\"id\":\"after\"}");
    assertThat(ws.next("pong").getString("id"))
        .as("nothing of s1 after its end")
        .isEqualTo("after");
    ws.close();
  }

  @Test
  void anAgentThatThrowsEndsItsRunWithAgentFailedAndTheConnectionStaysOpen() {
    Ws ws = Ws.connect(base, token("failing"));
    ws.next("ready");
    ws.send(run("explode", JsonValue.NULL, "x1"));

    List<JsonObject> events = eventsUntilTerminal(ws, "x1");
    JsonObject failed = events.get(events.size() - 1);
    assertThat(failed.getString("type")).isEqualTo("agent_failed");
    JsonObject data = failed.getJsonObject("data");
    assertThat(data.getString("incident")).isNotBlank();
    assertThat(data.getString("message")).doesNotContain("secret").doesNotContain("at io.");

    ws.send(run("echo", Json.createValue("still here"), "x2"));
    assertThat(eventsUntilTerminal(ws, "x2"))
        .last()
        .extracting(e -> e.getString("type"))
        .isEqualTo("agent_completed");
    ws.close();
  }

  @Test
  void unknownAgentAndDuplicateRunAreErrors() {
    Ws ws = Ws.connect(base, token("confused"));
    ws.next("ready");
    ws.send(run("nobody", JsonValue.NULL, "u1"));
    JsonObject unknown = ws.next("error");
    assertThat(unknown.getString("code")).isEqualTo("unknown_agent");

    ws.send(run("echo", Json.createValue(1), "d1"));
    eventsUntilTerminal(ws, "d1");
    ws.send(run("echo", Json.createValue(2), "d1"));
    JsonObject duplicate = ws.next("error");
    assertThat(duplicate.getString("code")).isEqualTo("duplicate_run");
    assertThat(duplicate.getString("ref")).isEqualTo("d1");

    ws.send(run("echo", Json.createValue(3), null));
    JsonObject started = ws.next("agent_started");
    assertThat(started.getString("runId")).as("server-assigned").isNotBlank();
    ws.close();
  }

  @Test
  void aHundredConnectionsEachRunningEchoAtOnceAllComplete() throws Exception {
    int n = 100;
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<Future<String>> outcomes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      Callable<String> client =
          () -> {
            Ws ws = Ws.connect(base, token("echo-crowd-" + (k % 10)));
            ws.send(run("echo", Json.createValue("hello " + k), "e" + k));
            ws.next("ready");
            List<JsonObject> events = eventsUntilTerminal(ws, "e" + k);
            ws.close();
            JsonObject last = events.get(events.size() - 1);
            return last.getString("type") + ":" + last.getJsonObject("data").getString("output");
          };
      outcomes.add(pool.submit(client));
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < n; i++) {
      assertThat(outcomes.get(i).get()).isEqualTo("agent_completed:hello " + i);
    }
  }

  // --- the outside client ---

  /**
   * The original test's second form: the Python client (Debian's python3-websockets, as the
   * original report used) against this server, checking the whole event contract itself.
   */
  @Test
  void thePythonClientPassesAgainstTheServer() throws Exception {
    // Without Debian's python3-websockets (a fresh machine with only Java and Maven) this one
    // test is skipped, not failed; under CI (CI=true, where .ci/run installs it) it must run.
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "true".equals(System.getenv("CI")) || pythonWebsocketsInstalled(),
        "python3-websockets is not installed (apt-get install python3-websockets)");
    java.nio.file.Path log =
        java.nio.file.Path.of(
            System.getProperty("agentwire.buildDirectory", "target"), "python-client.log");
    Process python =
        new ProcessBuilder(
                "/usr/bin/python3",
                "src/test/python/agent_pipeline_client.py",
                "--base-url",
                "http://127.0.0.1:" + base.getPort())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean finished = python.waitFor(90, TimeUnit.SECONDS);
    if (!finished) {
      python.destroyForcibly();
    }
    String output = java.nio.file.Files.readString(log);
    assertThat(finished).as("finished: %s", output).isTrue();
    assertThat(python.exitValue()).as(output).isZero();
    assertThat(output).containsPattern("(?m)^ok: \\d+ events, seq \\d+\\.\\.\\d+$");
  }

  private static boolean pythonWebsocketsInstalled() throws InterruptedException {
    try {
      Process p =
          new ProcessBuilder("/usr/bin/python3", "-c", "import websockets")
              .redirectErrorStream(true)
              .start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  // --- helpers ---

  /** One session of a diagnostics overview, by id. */
  static JsonObject session(JsonObject overview, String sessionId) {
    return overview.getJsonArray("sessions").getValuesAs(JsonObject.class).stream()
        .filter(s -> s.getString("sessionId").equals(sessionId))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no session " + sessionId + " in " + overview));
  }

  static String run(String agent, JsonValue input, String runId) {
    var run = Json.createObjectBuilder().add("type", "run").add("agent", agent).add("input", input);
    if (runId != null) {
      run.add("runId", runId);
    }
    return run.build().toString();
  }

  /** Events of one run, from the next message to its terminal event, each within the wait. */
  static List<JsonObject> eventsUntilTerminal(Ws ws, String runId) {
    List<JsonObject> events = new ArrayList<>();
    while (true) {
      JsonObject m = ws.next();
      assertThat(m.getString("runId", null)).as("event of %s: %s", runId, m).isEqualTo(runId);
      events.add(m);
      String type = m.getString("type");
      if (type.equals("agent_completed")
          || type.equals("agent_failed")
          || type.equals("agent_cancelled")) {
        return events;
      }
    }
  }

  /** PROTOCOL section 4: started first, one terminal last, tool pairs; seq contiguous if known. */
  static void assertContractOrder(List<JsonObject> events, long lastSeqBefore) {
    assertThat(events.get(0).getString("type")).isEqualTo("agent_started");
    String open = null;
    for (int i = 0; i < events.size(); i++) {
      JsonObject e = events.get(i);
      assertThat(e.getString("ts")).endsWith("Z");
      assertThat(e.get("data").getValueType()).isEqualTo(JsonValue.ValueType.OBJECT);
      if (lastSeqBefore >= 0) {
        assertThat(e.getJsonNumber("seq").longValue()).isEqualTo(lastSeqBefore + 1 + i);
      }
      String type = e.getString("type");
      if (type.equals("tool_executing")) {
        assertThat(open).isNull();
        open = e.getJsonObject("data").getString("tool");
      } else if (type.equals("tool_completed")) {
        assertThat(e.getJsonObject("data").getString("tool")).isEqualTo(open);
        open = null;
      }
      boolean terminal =
          type.equals("agent_completed")
              || type.equals("agent_failed")
              || type.equals("agent_cancelled");
      assertThat(terminal).isEqualTo(i == events.size() - 1);
    }
    assertThat(open).as("every tool_executing has its tool_completed").isNull();
  }
}
