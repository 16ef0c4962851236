package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two real Payara Micro processes on loopback forming one data grid with the standard flags ({@code
 * --clustermode tcpip:...}, {@code --interfaces}, {@code --startport}, {@code --nohostaware} so
 * that the backups of one member live on the other although both share 127.0.0.1, and {@code
 * --systemproperties payara-config/cluster.properties} for failure detection): PROTOCOL sections 3
 * (G6, G7) and 6 across instances. The scenarios run in order on the same processes; the instance
 * killed or drained is replaced by a third. Every process is killed at the end, whatever happened.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  static final String ISSUER = "agentwire-development";
  static final String TEXT = "one stream; many instances; every event once, in order, wherever";
  static final Duration MEMBER_TIMEOUT = Duration.ofSeconds(30);

  static final List<PayaraProcess> started = new ArrayList<>();
  static String cluster;
  static int[] gridPorts;
  static PayaraProcess a;
  static PayaraProcess b;

  static Map<String, String> settings() {
    // analyze's seven steps at 0.7 s: a run is in flight for about 5 s
    return Map.of("mp.config.profile", "development", "agentwire.agents.step-delay", "PT0.7S");
  }

  static List<String> grid(int port) {
    String members =
        LongStream.of(gridPorts[0], gridPorts[1], gridPorts[2])
            .mapToObj(p -> "127.0.0.1:" + p)
            .reduce((x, y) -> x + "," + y)
            .orElseThrow();
    return List.of(
        "--clustermode",
        "tcpip:" + members,
        "--interfaces",
        "127.0.0.1",
        "--startport",
        Integer.toString(port),
        "--clustername",
        cluster,
        "--nohostaware",
        "--systemproperties",
        "payara-config/cluster.properties");
  }

  static PayaraProcess member(String name, int port) throws IOException {
    PayaraProcess p = PayaraProcess.start(name, settings(), grid(port));
    started.add(p);
    return p;
  }

  @BeforeAll
  static void cluster() throws IOException {
    cluster = "agentwire-it-" + UUID.randomUUID().toString().substring(0, 8);
    gridPorts =
        new int[] {PayaraProcess.freePort(), PayaraProcess.freePort(), PayaraProcess.freePort()};
    a = member("cluster-a", gridPorts[0]);
    b = member("cluster-b", gridPorts[1]);
    await("both instances in one cluster")
        .atMost(Duration.ofSeconds(60))
        .until(() -> members(a) == 2 && members(b) == 2);
    for (PayaraProcess p : List.of(a, b)) {
      JsonObject cluster =
          Http.get(p.base(), "/api/diagnostics", Http.devToken(p.base(), "op", "agentwire-admin"))
              .json()
              .getJsonObject("cluster");
      assertThat(cluster.getBoolean("clustered")).as("sessions in the data grid").isTrue();
      assertThat(cluster.getInt("members")).isEqualTo(2);
      assertThat(cluster.getJsonNumber("failureDetectionSeconds").longValue())
          .as("payara-config/cluster.properties read before the grid started")
          .isEqualTo(10);
    }
  }

  @AfterAll
  static void stop() {
    started.forEach(PayaraProcess::close);
  }

  /** The cluster's size as an instance's log tells it (Hazelcast's "Members {size:N"). */
  static int members(PayaraProcess p) throws IOException {
    String log = p.logText();
    int at = log.lastIndexOf("Members {size:");
    if (at < 0) {
      return 0;
    }
    String n = log.substring(at + "Members {size:".length());
    return Integer.parseInt(n.substring(0, n.indexOf(',')).trim());
  }

  static String token(String subject) {
    return TestTokens.development(ISSUER, subject, "agentwire-user");
  }

  static Ws connect(PayaraProcess p, String subject) {
    return Ws.connect(p.base(), token(subject));
  }

  static Ws resume(PayaraProcess p, String subject, JsonObject ready, long lastSeq) {
    return Ws.connect(
        p.base(),
        token(subject),
        "resume="
            + URLEncoder.encode(ready.getString("resumeToken"), StandardCharsets.UTF_8)
            + "&lastSeq="
            + lastSeq,
        List.of());
  }

  static String run(String runId) {
    return "{\"type\":\"run\",\"agent\":\"analyze\",\"input\":\""
        + TEXT
        + "\",\"runId\":\""
        + runId
        + "\"}";
  }

  static long seq(JsonObject event) {
    return event.getJsonNumber("seq").longValue();
  }

  static boolean terminal(JsonObject m) {
    String type = m.getString("type");
    return type.equals("agent_completed")
        || type.equals("agent_failed")
        || type.equals("agent_cancelled");
  }

  /** Events up to and including the first terminal event. */
  static List<JsonObject> untilTerminal(Ws ws, List<JsonObject> into) {
    while (true) {
      JsonObject m = ws.next();
      if (!m.containsKey("seq")) {
        continue;
      }
      into.add(m);
      if (terminal(m)) {
        return into;
      }
    }
  }

  static void assertExactlyOnceInOrder(List<JsonObject> events) {
    assertThat(events)
        .extracting(ClusterIT::seq)
        .as("seq 1..n, each once, in order (G6)")
        .isEqualTo(LongStream.rangeClosed(1, events.size()).boxed().toList());
  }

  @Test
  @Order(1)
  void aRunOnAStreamsToAClientThatResumedOnB() {
    Ws first = connect(a, "dropper");
    JsonObject ready = first.next("ready");
    first.send(run("r-1"));
    List<JsonObject> events = new ArrayList<>();
    events.add(first.next("agent_started"));
    events.add(first.next("agent_thinking"));
    first.socket().abort(); // the client's connection drops: no close frame

    Ws second = resume(b, "dropper", ready, seq(events.get(events.size() - 1)));
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).as(resumed.toString()).isTrue();
    assertThat(resumed.getString("sessionId")).isEqualTo(ready.getString("sessionId"));
    assertThat(resumed.containsKey("gap")).isFalse();
    assertThat(resumed.getJsonArray("runs").getValuesAs(JsonObject.class))
        .extracting(r -> r.getString("runId"))
        .as("the run goes on on A")
        .containsExactly("r-1");
    untilTerminal(second, events);
    assertExactlyOnceInOrder(events);
    DevelopmentProfileIT.assertContractOrder(events, 0);
    assertThat(events.get(events.size() - 1).getString("type")).isEqualTo("agent_completed");
    second.close();
  }

  @Test
  @Order(2)
  void resumingOnBWhileTheRunGoesOnOnASupersedesTheConnectionOnA() {
    Ws first = connect(a, "mover");
    JsonObject ready = first.next("ready");
    first.send(run("r-2"));
    JsonObject started = first.next("agent_started");

    Ws second = resume(b, "mover", ready, seq(started));
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).isTrue();
    assertThat(first.awaitClose().code()).as("the connection on A").isEqualTo(4509);

    List<JsonObject> events = new ArrayList<>(List.of(started));
    untilTerminal(second, events);
    assertExactlyOnceInOrder(events);
    DevelopmentProfileIT.assertContractOrder(events, 0);
    assertThat(events.get(events.size() - 1).getString("type")).isEqualTo("agent_completed");
    second.close();
  }

  @Test
  @Order(3)
  void aCancelSentToBCancelsTheRunOnA() {
    Ws first = connect(a, "canceller");
    JsonObject ready = first.next("ready");
    first.send(run("r-3"));
    JsonObject started = first.next("agent_started");
    first.close();
    first.awaitClose();

    Ws second = resume(b, "canceller", ready, seq(started));
    assertThat(second.next("ready").getBoolean("resumed")).isTrue();
    second.send("{\"type\":\"cancel\",\"runId\":\"r-3\"}");
    List<JsonObject> events = untilTerminal(second, new ArrayList<>(List.of(started)));
    assertExactlyOnceInOrder(events);
    assertThat(events.get(events.size() - 1).getString("type")).isEqualTo("agent_cancelled");
    second.close();
  }

  /**
   * Several sessions, each with a run on A: Hazelcast spreads their records and logs over both
   * members' partitions, so some live on A (the killed member) and survive only as backups on B.
   * With six sessions the chance that none of their logs was owned by A is 1 in 64.
   */
  @Test
  @Order(4)
  void aKilledInstancesRunsEndInstanceLostOnTheOther() throws Exception {
    int clients = 6;
    List<Ws> firsts = new ArrayList<>();
    List<JsonObject> readies = new ArrayList<>();
    List<List<JsonObject>> before = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Ws first = connect(a, "survivor-" + i);
      readies.add(first.next("ready"));
      first.send(run("r-4"));
      firsts.add(first);
    }
    for (Ws first : firsts) {
      List<JsonObject> events = new ArrayList<>();
      events.add(first.next("agent_started"));
      events.add(first.next("agent_thinking"));
      events.add(first.next("tool_executing"));
      before.add(events);
    }
    long killedAt = System.nanoTime();
    a.kill(); // kill -9: no drain, no goodbye
    firsts.forEach(Ws::awaitClose);

    for (int i = 0; i < clients; i++) {
      // Whatever the client saw before the crash may have gone on: it resumes from 0 to see all.
      Ws second = resume(b, "survivor-" + i, readies.get(i), 0);
      JsonObject resumed = second.next("ready");
      assertThat(resumed.getBoolean("resumed")).as(resumed.toString()).isTrue();
      assertThat(resumed.containsKey("gap")).isFalse();
      List<JsonObject> seen = untilTerminal(second, new ArrayList<>());
      Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
      assertExactlyOnceInOrder(seen);
      assertThat(seen.subList(0, before.get(i).size()))
          .as("every event stored before the crash, as it went out (G7)")
          .isEqualTo(before.get(i));
      JsonObject last = seen.get(seen.size() - 1);
      assertThat(last.getString("type")).isEqualTo("agent_failed");
      assertThat(last.getJsonObject("data").getString("reason")).isEqualTo("instance_lost");
      assertThat(took).as("within agentwire.cluster.member-timeout").isLessThan(MEMBER_TIMEOUT);
      DevelopmentProfileIT.assertContractOrder(seen, 0);
      second.close();
    }
  }

  @Test
  @Order(5)
  void aDrainedInstanceHandsItsClientOverWithoutAGap() throws Exception {
    PayaraProcess c = member("cluster-c", gridPorts[2]);
    await("b and c in one cluster")
        .atMost(Duration.ofSeconds(60))
        .until(() -> members(b) == 2 && members(c) == 2);
    Ws first = connect(b, "handover");
    JsonObject ready = first.next("ready");
    first.send(run("r-5"));
    List<JsonObject> events = new ArrayList<>();
    events.add(first.next("agent_started"));
    b.terminate(); // SIGTERM
    JsonObject draining = null;
    while (draining == null) {
      JsonObject m = first.next();
      if (m.getString("type").equals("draining")) {
        draining = m;
      } else if (m.containsKey("seq")) {
        events.add(m);
      }
    }
    assertThat(first.awaitClose().code()).isEqualTo(1012);
    long lastSeq = seq(events.get(events.size() - 1));

    Ws second = resume(c, "handover", ready, lastSeq);
    JsonObject resumed = second.next("ready");
    assertThat(resumed.getBoolean("resumed")).as(resumed.toString()).isTrue();
    assertThat(resumed.containsKey("gap")).isFalse();
    if (!terminal(events.get(events.size() - 1))) {
      untilTerminal(second, events);
    }
    assertExactlyOnceInOrder(events);
    assertThat(resumed.getJsonNumber("lastSeq").longValue()).isEqualTo(events.size());
    assertThat(b.awaitExit(Duration.ofSeconds(60))).as("b exits after its drain").isPresent();
    second.close();
  }
}
