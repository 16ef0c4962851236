package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.security.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sessions that outlive their connections, on one instance with real clients (PROTOCOL section 6):
 * a client that drops and resumes gets every event exactly once and in order; runs go on while it
 * is away; every resume decision as the client sees it; 4509 for the connection a resume replaces.
 */
@ExtendWith(ArquillianExtension.class)
class SessionsIT {

  static {
    ServerLog.capture();
  }

  /** Every resume token a test used; none may appear in the server's log. */
  private static final List<String> RESUME_TOKENS =
      java.util.Collections.synchronizedList(new ArrayList<>());

  @org.junit.jupiter.api.AfterAll
  static void noResumeTokenAppearsInTheServerLog() {
    String log = ServerLog.text();
    assertThat(log).as("the server log was captured").contains("agentwire started");
    synchronized (RESUME_TOKENS) {
      assertThat(RESUME_TOKENS).isNotEmpty();
      for (String token : RESUME_TOKENS) {
        assertThat(log).as("a resume token in the server log").doesNotContain(token);
      }
    }
  }

  static final String ISSUER = "agentwire-development";
  static final Duration RETENTION = Duration.ofSeconds(4);
  static final String TEXT =
      "Sessions outlive connections; sessions replay events, and sessions expire after retention.";

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
            """
            mp.config.profile=development
            agentwire.readiness.deadline=PT2S
            agentwire.agents.step-delay=PT0.15S
            agentwire.session.retention=%s
            """
                .formatted(RETENTION))
        .addClasses(TestAgents.class, TestAgents.Chatty.class);
  }

  @ArquillianResource URL base;

  private static String token(String subject) {
    return TestTokens.development(ISSUER, subject, "agentwire-user");
  }

  private String admin() {
    return Http.devToken(base, "operator", "agentwire-admin");
  }

  private Ws resume(String subject, JsonObject ready, long lastSeq) {
    RESUME_TOKENS.add(ready.getString("resumeToken"));
    return Ws.connect(
        base,
        token(subject),
        "resume="
            + URLEncoder.encode(ready.getString("resumeToken"), StandardCharsets.UTF_8)
            + "&lastSeq="
            + lastSeq,
        List.of());
  }

  private static String run(String agent, String input, String runId) {
    return Json.createObjectBuilder()
        .add("type", "run")
        .add("agent", agent)
        .add("input", input)
        .add("runId", runId)
        .build()
        .toString();
  }

  private static long seq(JsonObject event) {
    return event.getJsonNumber("seq").longValue();
  }

  /** Events up to and including the run's terminal event. */
  private static List<JsonObject> untilTerminal(Ws ws, List<JsonObject> into) {
    while (true) {
      JsonObject m = ws.next();
      if (!m.containsKey("seq")) {
        continue; // a pong, say
      }
      into.add(m);
      String type = m.getString("type");
      if (type.equals("agent_completed")
          || type.equals("agent_failed")
          || type.equals("agent_cancelled")) {
        return into;
      }
    }
  }

  private double resumes(String outcome) {
    return Http.metric(base, "agentwire_resumes_total", "outcome", outcome);
  }

  @Test
  void aClientThatDropsMidAnalyzeResumesAndGetsEveryEventExactlyOnceInOrder() {
    double resumedBefore = resumes("resumed");
    Ws first = Ws.connect(base, token("dropper"));
    JsonObject ready = first.next("ready");
    assertThat(ready.getJsonArray("runs")).isEmpty();
    first.send(run("analyze", TEXT, "a-1"));
    List<JsonObject> events = new ArrayList<>();
    events.add(first.next("agent_started"));
    events.add(first.next("agent_thinking"));
    first.socket().abort(); // TCP gone, no close handshake: as a laptop that sleeps

    Ws second = resume("dropper", ready, seq(events.get(events.size() - 1)));
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).isTrue();
    assertThat(resumed.getString("sessionId")).isEqualTo(ready.getString("sessionId"));
    assertThat(resumed.getString("connectionId")).isNotEqualTo(ready.getString("connectionId"));
    assertThat(resumed.containsKey("gap")).isFalse();
    assertThat(resumed.containsKey("resumeFailure")).isFalse();
    untilTerminal(second, events);

    assertThat(events).extracting(SessionsIT::seq).isEqualTo(range(1, events.size()));
    DevelopmentProfileIT.assertContractOrder(events, 0);
    assertThat(events.get(events.size() - 1).getString("type")).isEqualTo("agent_completed");
    assertThat(resumes("resumed")).isEqualTo(resumedBefore + 1);
    second.close();
  }

  @Test
  void aRunThatCompletesWhileItsClientIsAwayIsReplayedOnResume() {
    Ws first = Ws.connect(base, token("away"));
    JsonObject ready = first.next("ready");
    first.send(run("analyze", TEXT, "a-away"));
    JsonObject started = first.next("agent_started");
    first.socket().abort();
    String admin = admin();
    await("the run completes with nobody connected")
        .atMost(Ws.WAIT)
        .until(() -> sessionOf(ready, admin).getJsonArray("runs").isEmpty());
    assertThat(sessionOf(ready, admin).getString("state")).isEqualTo("detached");
    double replayedBefore = Http.metric(base, "agentwire_events_replayed_total", null, null);

    Ws second = resume("away", ready, seq(started));
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).isTrue();
    assertThat(resumed.getJsonArray("runs")).as("nothing in flight any more").isEmpty();
    List<JsonObject> events = new ArrayList<>(List.of(started));
    untilTerminal(second, events);

    assertThat(events).extracting(SessionsIT::seq).isEqualTo(range(1, events.size()));
    DevelopmentProfileIT.assertContractOrder(events, 0);
    assertThat(resumed.getJsonNumber("lastSeq").longValue()).isEqualTo(events.size());
    assertThat(Http.metric(base, "agentwire_events_replayed_total", null, null))
        .isEqualTo(replayedBefore + events.size() - 1);
    second.close();
  }

  @Test
  void readyNamesTheRunsInFlightAndTheirEventsStreamToTheNewConnection() {
    Ws first = Ws.connect(base, token("inflight"));
    JsonObject ready = first.next("ready");
    first.send(run("chatty", "", "c-1"));
    JsonObject started = first.next("agent_started");
    first.next("agent_thinking");
    first.socket().abort();

    Ws second = resume("inflight", ready, seq(started));
    JsonObject resumed = second.next("ready");
    List<JsonObject> runs = resumed.getJsonArray("runs").getValuesAs(JsonObject.class);
    assertThat(runs).hasSize(1);
    assertThat(runs.get(0).getString("runId")).isEqualTo("c-1");
    assertThat(runs.get(0).getString("agent")).isEqualTo("chatty");
    assertThat(runs.get(0).getJsonNumber("startedSeq").longValue()).isEqualTo(seq(started));
    // Replayed then live: seqs go on from the started event without a hole, past the ready's end.
    long last = resumed.getJsonNumber("lastSeq").longValue();
    long expected = seq(started) + 1;
    while (expected <= last + 2) {
      JsonObject e = second.next("agent_thinking");
      assertThat(seq(e)).isEqualTo(expected++);
    }
    second.send("{\"type\":\"cancel\",\"runId\":\"c-1\"}");
    List<JsonObject> rest = untilTerminal(second, new ArrayList<>());
    assertThat(rest.get(rest.size() - 1).getString("type")).isEqualTo("agent_cancelled");
    second.close();
  }

  @Test
  void aResumeBehindAnAckGetsTheAcknowledgedSeqsAsAGap() {
    double gapsBefore = resumes("gap");
    Ws first = Ws.connect(base, token("acker"));
    JsonObject ready = first.next("ready");
    first.send(run("echo", "one", "e-1"));
    List<JsonObject> events = untilTerminal(first, new ArrayList<>());
    first.send(run("echo", "two", "e-2"));
    untilTerminal(first, events);
    long acked = seq(events.get(2)); // the second run's agent_started
    first.send("{\"type\":\"ack\",\"seq\":" + acked + "}");
    first.send("{\"type\":\"ping\",\"id\":\"after-ack\"}");
    assertThat(first.next("pong").getString("id")).isEqualTo("after-ack"); // the ack was handled
    first.close();
    first.awaitClose();

    Ws second = resume("acker", ready, 1);
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).isTrue();
    assertThat(resumed.getJsonObject("gap").getJsonNumber("from").longValue()).isEqualTo(2);
    assertThat(resumed.getJsonObject("gap").getJsonNumber("to").longValue()).isEqualTo(acked);
    JsonObject next = second.next("agent_completed");
    assertThat(seq(next)).as("the replay starts at the oldest event held").isEqualTo(acked + 1);
    assertThat(resumes("gap")).isEqualTo(gapsBefore + 1);
    second.close();
  }

  @Test
  void anUnknownResumeTokenGetsANewSessionWithUnknown() {
    double before = resumes("unknown");
    Ws ws = Ws.connect(base, token("stranger"), "resume=made-up-token&lastSeq=7", List.of());

    JsonObject ready = ws.next("ready");
    assertThat(ready.getBoolean("resumed")).isFalse();
    assertThat(ready.getString("resumeFailure")).isEqualTo("unknown");
    assertThat(ready.getJsonNumber("lastSeq").longValue()).isZero();
    assertThat(resumes("unknown")).isEqualTo(before + 1);
    ws.close();
  }

  @Test
  void anotherSubjectsResumeIsForbiddenAndTheOwnerCanStillResume() {
    double before = resumes("forbidden");
    Ws owner = Ws.connect(base, token("owner"));
    JsonObject ready = owner.next("ready");
    owner.close();
    owner.awaitClose();

    Ws thief = resume("thief", ready, 0);
    JsonObject refused = thief.next("ready");
    assertThat(refused.getBoolean("resumed")).isFalse();
    assertThat(refused.getString("resumeFailure")).isEqualTo("forbidden");
    assertThat(refused.getString("sessionId")).isNotEqualTo(ready.getString("sessionId"));
    assertThat(resumes("forbidden")).isEqualTo(before + 1);
    thief.close();

    Ws back = resume("owner", ready, 0);
    assertThat(back.next("ready").getBoolean("resumed")).isTrue();
    back.close();
  }

  @Test
  void aSessionPastItsRetentionCancelsItsRunsAndAResumeIsToldExpired() {
    double cancelledBefore = Http.metric(base, "agentwire_runs_total", "outcome", "cancelled");
    double expiredBefore = resumes("expired");
    Ws first = Ws.connect(base, token("leaver"));
    JsonObject ready = first.next("ready");
    first.send(run("chatty", "", "forever"));
    first.next("agent_started");
    first.close();
    first.awaitClose();
    String admin = admin();
    assertThat(sessionOf(ready, admin).getJsonArray("runs")).hasSize(1); // it goes on, detached

    await("the session expires after its retention")
        .atMost(RETENTION.plus(Ws.WAIT))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> findSession(ready, admin) == null);
    // The session leaves the directory before its runs are told: wait for the count too.
    await("its run ends cancelled")
        .atMost(Ws.WAIT)
        .until(
            () ->
                Http.metric(base, "agentwire_runs_total", "outcome", "cancelled")
                    == cancelledBefore + 1);

    Ws late = resume("leaver", ready, 1);
    JsonObject refused = late.next("ready");
    assertThat(refused.getBoolean("resumed")).isFalse();
    assertThat(refused.getString("resumeFailure")).isEqualTo("expired");
    assertThat(resumes("expired")).isEqualTo(expiredBefore + 1);
    late.close();
  }

  @Test
  void aSecondConnectionResumingTheSessionClosesTheFirstWith4509() {
    String admin = admin();
    double supersededBefore =
        Http.metric(base, "agentwire_race_patterns_total", "pattern", "session_superseded");
    Ws first = Ws.connect(base, token("twice"));
    JsonObject ready = first.next("ready");
    first.send(run("chatty", "", "live"));
    JsonObject started = first.next("agent_started");

    Ws second = resume("twice", ready, seq(started));
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).isTrue();

    Ws.Close close = first.awaitClose();
    assertThat(close.code()).isEqualTo(4509);
    assertThat(close.reason()).isEqualTo("superseded");
    assertThat(Http.metric(base, "agentwire_race_patterns_total", "pattern", "session_superseded"))
        .isEqualTo(supersededBefore + 1);
    // The run's events go on to the second connection, from the seq after the one it resumed at.
    JsonObject next = second.next("agent_thinking");
    assertThat(seq(next)).isEqualTo(seq(started) + 1);
    second.send("{\"type\":\"cancel\",\"runId\":\"live\"}");
    untilTerminal(second, new ArrayList<>());
    assertThat(sessionOf(ready, admin).getString("connectionId"))
        .isEqualTo(resumed.getString("connectionId"));
    second.close();
  }

  @Test
  void diagnosticsListSessionsWithoutTheirResumeTokens() {
    Ws ws = Ws.connect(base, token("listed"));
    JsonObject ready = ws.next("ready");
    String admin = admin();

    Http.Answer all = Http.get(base, "/api/diagnostics", admin);
    JsonObject session = sessionOf(ready, admin);
    assertThat(session.getString("state")).isEqualTo("attached");
    assertThat(session.getString("subject")).isEqualTo("listed");
    assertThat(session.getString("connectionId")).isEqualTo(ready.getString("connectionId"));
    assertThat(all.body()).doesNotContain(ready.getString("resumeToken"));
    assertThat(all.json().getJsonObject("cluster").getBoolean("clustered"))
        .as("one instance with --nocluster keeps its sessions in memory")
        .isFalse();
    assertThat(Http.metric(base, "agentwire_sessions", "state", "attached")).isPositive();
    ws.close();
  }

  private JsonObject findSession(JsonObject ready, String admin) {
    JsonObject overview = Http.get(base, "/api/diagnostics", admin).json();
    return overview.getJsonArray("sessions").getValuesAs(JsonObject.class).stream()
        .filter(s -> s.getString("sessionId").equals(ready.getString("sessionId")))
        .findFirst()
        .orElse(null);
  }

  private JsonObject sessionOf(JsonObject ready, String admin) {
    JsonObject s = findSession(ready, admin);
    assertThat(s).as("session %s in diagnostics", ready.getString("sessionId")).isNotNull();
    return s;
  }

  private static List<Long> range(long from, long to) {
    return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
  }
}
