package io.agentwire.session.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.session.entity.ResumeOutcome;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster directory on two real Hazelcast members in this JVM (the library Payara embeds, its
 * version): what one member stores, the other replays; live events, supersede and cancel cross
 * members by the bus; a member that dies leaves its runs to the other, which ends them {@code
 * instance_lost} after closing the open tool pair, with the session's next seqs; expiry.
 */
class GridSessionsTest {

  /**
   * Long against any stall of a loaded machine: with 2 s, one slow grid call (5.4 s seen under
   * load) expired a fresh session before the test resumed it, the resume was refused and the test
   * went on with a new, empty session. Only the expiry test uses {@link #SHORT_RETENTION}.
   */
  static final Duration RETENTION = Duration.ofSeconds(120);

  static final Duration SHORT_RETENTION = Duration.ofSeconds(2);

  /** What a member told the rest of its instance. */
  static final class Heard implements GridSessions.Listener {
    final ConcurrentLinkedQueue<String> said = new ConcurrentLinkedQueue<>();

    @Override
    public void superseded(String connectionId, String sessionId) {
      said.add("superseded " + connectionId);
    }

    @Override
    public void cancel(String sessionId, String runId) {
      said.add("cancel " + runId);
    }

    @Override
    public void expired(String sessionId) {
      said.add("expired " + sessionId);
    }

    @Override
    public void behind(StreamSession session, String holder) {
      said.add("behind " + holder);
      session.pull(holder);
    }
  }

  /** A connection: what it was sent, live or replayed. */
  static final class Client implements StreamSession.Subscriber {
    final String id;
    final ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();

    Client(String id) {
      this.id = id;
    }

    @Override
    public String holder() {
      return id;
    }

    @Override
    public void send(String text) {
      got.add(text);
    }

    @Override
    public boolean offer(String text) {
      got.add(text);
      return true;
    }

    @Override
    public void fellBehind() {
      got.add("fell behind");
    }

    List<Long> seqs() {
      return got.stream().map(t -> parse(t).getJsonNumber("seq").longValue()).toList();
    }
  }

  HazelcastInstance hzA;
  HazelcastInstance hzB;
  final Heard heardA = new Heard();
  final Heard heardB = new Heard();
  final ExecutorService busA = Executors.newSingleThreadExecutor();
  final ExecutorService busB = Executors.newSingleThreadExecutor();
  GridSessions a;
  GridSessions b;

  /**
   * A free port on loopback for a member (the "a-b" range form of a member list does not parse).
   */
  static int freePort() {
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      return free.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Config config(String cluster, int port, int... members) {
    Config c = new Config().setClusterName(cluster);
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.logging.type", "jdk");
    NetworkConfig n = c.getNetworkConfig();
    n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    n.setPort(port).setPortAutoIncrement(false);
    JoinConfig j = n.getJoin();
    j.getMulticastConfig().setEnabled(false);
    j.getAutoDetectionConfig().setEnabled(false);
    j.getTcpIpConfig().setEnabled(true);
    for (int m : members) {
      j.getTcpIpConfig().addMember("127.0.0.1:" + m);
    }
    return c;
  }

  @BeforeEach
  void cluster() {
    String cluster = "agentwire-test-" + UUID.randomUUID();
    int portA = freePort();
    int portB = freePort();
    hzA = Hazelcast.newHazelcastInstance(config(cluster, portA, portA, portB));
    hzB = Hazelcast.newHazelcastInstance(config(cluster, portB, portA, portB));
    await().atMost(Duration.ofSeconds(30)).until(() -> hzA.getCluster().getMembers().size() == 2);
    // And no partition still migrating to the member that just joined.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                hzA.getPartitionService().isClusterSafe()
                    && hzB.getPartitionService().isClusterSafe());
    a = new GridSessions(hzA, 100, RETENTION, new SecureRandom(), busA, heardA);
    b = new GridSessions(hzB, 100, RETENTION, new SecureRandom(), busB, heardB);
  }

  @AfterEach
  void stop() {
    busA.shutdownNow();
    busB.shutdownNow();
    hzA.getLifecycleService().terminate();
    hzB.getLifecycleService().terminate();
  }

  static JsonObject parse(String text) {
    return Json.createReader(new StringReader(text)).readObject();
  }

  static SessionRequest resume(StreamSession s, long lastSeq) {
    return new SessionRequest(s.subject(), Optional.of(s.resumeToken()), lastSeq);
  }

  @Test
  void bothInstancesCluster() {
    assertThat(GridSessions.clustered(hzA)).isTrue();
    Config alone = config("alone", 1);
    alone.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(false);
    alone
        .getNetworkConfig()
        .getJoin()
        .getDiscoveryConfig()
        .addDiscoveryStrategyConfig(
            new com.hazelcast.config.DiscoveryStrategyConfig(GridSessions.DOMAIN_DISCOVERY));
    assertThat(GridSessions.clustered(alone.getNetworkConfig().getJoin()))
        .as("--nocluster: Payara's domain discovery only")
        .isFalse();
    alone.getNetworkConfig().getJoin().getKubernetesConfig().setEnabled(true);
    assertThat(GridSessions.clustered(alone.getNetworkConfig().getJoin()))
        .as("--clustermode kubernetes:...")
        .isTrue();
  }

  @Test
  void aResumeOnTheOtherMemberReplaysTheSameFramesAndGoesOnLive() {
    StreamSession onA = a.request(SessionRequest.fresh("alice")).session();
    Client first = new Client("c-a");
    onA.attach(first, OptionalLong.empty());
    onA.pull("c-a");
    for (int i = 0; i < 3; i++) {
      onA.emit(EventType.AGENT_THINKING, "r-1", Json.createObjectBuilder().add("text", "t" + i));
    }
    assertThat(first.seqs()).containsExactly(1L, 2L, 3L);

    SessionGrant grant = b.request(resume(onA, 1));
    assertThat(grant.resumed()).isTrue();
    StreamSession onB = grant.session();
    assertThat(onB.id()).isEqualTo(onA.id());
    Client second = new Client("c-b");
    StreamSession.Attached attached = onB.attach(second, grant.replayAfter());
    assertThat(attached.lastSeq()).isEqualTo(3);
    assertThat(attached.superseded()).as("the holder on A").contains("c-a");
    onB.pull("c-b");
    assertThat(second.got).containsExactlyElementsOf(List.copyOf(first.got).subList(1, 3));
    await("A told to close its connection, 4509")
        .atMost(Duration.ofSeconds(10))
        .until(() -> heardA.said.contains("superseded c-a"));

    onA.emit(EventType.AGENT_THINKING, "r-1", Json.createObjectBuilder().add("text", "live"));
    await("an event stored on A reaches the holder on B")
        .atMost(Duration.ofSeconds(10))
        .until(() -> second.seqs().equals(List.of(2L, 3L, 4L)));
    assertThat(first.seqs()).as("superseded: nothing more").containsExactly(1L, 2L, 3L);
  }

  @Test
  void aHolderThatMissedABusMessageCatchesUpFromTheLog() {
    StreamSession onA = a.request(SessionRequest.fresh("bob")).session();
    SessionGrant grant = b.request(resume(onA, 0));
    assertThat(grant.resumed()).isTrue();
    StreamSession onB = grant.session();
    Client client = new Client("c-b");
    onB.attach(client, grant.replayAfter());
    onB.pull("c-b");
    // As if the bus had lost its messages: this member stops listening while A stores two.
    b.stop();
    onA.emit(EventType.AGENT_THINKING, "r-1", Json.createObjectBuilder().add("text", "1"));
    onA.emit(EventType.AGENT_THINKING, "r-1", Json.createObjectBuilder().add("text", "2"));
    assertThat(client.got).isEmpty();
    b.sweep();
    assertThat(heardB.said).contains("behind c-b");
    assertThat(client.seqs()).containsExactly(1L, 2L);
  }

  @Test
  void aCancelOnTheOtherMemberReachesTheMemberOfTheRun() {
    StreamSession onA = a.request(SessionRequest.fresh("carol")).session();
    onA.emit(EventType.AGENT_STARTED, "r-9", Json.createObjectBuilder().add("agent", "analyze"));
    assertThat(b.cancelElsewhere(onA.id(), "r-9")).isTrue();
    assertThat(b.cancelElsewhere(onA.id(), "r-unknown")).isFalse();
    assertThat(a.cancelElsewhere(onA.id(), "r-9")).as("runs here are cancelled here").isFalse();
    await().atMost(Duration.ofSeconds(10)).until(() -> heardA.said.contains("cancel r-9"));
    SessionGrant onB = b.request(resume(onA, 0));
    assertThat(onB.resumed()).isTrue();
    assertThat(onB.session().runs()).extracting(r -> r.runId()).containsExactly("r-9");
  }

  @Test
  void theRunsOfAMemberThatDiedEndInstanceLostAfterTheirOpenToolPair() {
    StreamSession onA = a.request(SessionRequest.fresh("dave")).session();
    onA.emit(EventType.AGENT_STARTED, "r-1", Json.createObjectBuilder().add("agent", "analyze"));
    onA.emit(
        EventType.TOOL_EXECUTING,
        "r-1",
        Json.createObjectBuilder().add("tool", "word_count").add("arguments", "x"));
    String token = onA.resumeToken();
    String subject = onA.subject();
    hzA.getLifecycleService().terminate(); // no migration, no goodbye: as kill -9
    await().atMost(Duration.ofSeconds(30)).until(() -> hzB.getCluster().getMembers().size() == 1);

    // B owns A's partitions once it has promoted their backups: a sweep after that ends the run.
    await("the run ended by B's sweep")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              b.sweep();
              return b.request(new SessionRequest(subject, Optional.of(token), 4))
                  .session()
                  .runs()
                  .isEmpty();
            });
    SessionGrant grant = b.request(new SessionRequest(subject, Optional.of(token), 0));
    assertThat(grant.resumed()).as("the record's backup on B").isTrue();
    assertThat(grant.session().resumeToken())
        .as("the view B made to end the run learnt the token of the resume")
        .isEqualTo(token);
    Client client = new Client("c-b");
    StreamSession.Attached attached = grant.session().attach(client, grant.replayAfter());
    grant.session().pull("c-b");
    assertThat(attached.runs()).as("no run in flight any more").isEmpty();
    List<JsonObject> events = client.got.stream().map(GridSessionsTest::parse).toList();
    assertThat(events)
        .extracting(e -> e.getString("type"))
        .containsExactly("agent_started", "tool_executing", "tool_completed", "agent_failed");
    assertThat(client.seqs()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(events.get(2).getJsonObject("data").getBoolean("interrupted")).isTrue();
    assertThat(events.get(2).getJsonObject("data").getString("tool")).isEqualTo("word_count");
    assertThat(events.get(3).getJsonObject("data").getString("reason")).isEqualTo("instance_lost");

    b.sweep();
    assertThat(grant.session().history(0).events()).as("ended once").hasSize(4);
  }

  @Test
  void aDetachedSessionExpiresAfterItsRetentionOnEveryMember() {
    a.stop();
    b.stop();
    a = new GridSessions(hzA, 100, SHORT_RETENTION, new SecureRandom(), busA, heardA);
    b = new GridSessions(hzB, 100, SHORT_RETENTION, new SecureRandom(), busB, heardB);
    StreamSession onA = a.request(SessionRequest.fresh("erin")).session();
    Client client = new Client("c-a");
    onA.attach(client, OptionalLong.empty());
    assertThat(onA.detach("c-a", System.nanoTime())).isTrue();
    await("expired by the member that owns its record")
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              a.sweep();
              b.sweep();
              return heardA.said.contains("expired " + onA.id())
                  && heardB.said.contains("expired " + onA.id());
            });
    SessionGrant late = b.request(resume(onA, 0));
    assertThat(late.resumed()).isFalse();
    assertThat(late.refused()).contains(ResumeOutcome.EXPIRED);
    assertThat(a.request(new SessionRequest("mallory", Optional.of("nope"), 0)).refused())
        .contains(ResumeOutcome.UNKNOWN);
  }

  @Test
  void anotherSubjectsResumeIsForbidden() {
    StreamSession onA = a.request(SessionRequest.fresh("frank")).session();
    SessionGrant stolen =
        b.request(new SessionRequest("mallory", Optional.of(onA.resumeToken()), 0));
    assertThat(stolen.refused()).contains(ResumeOutcome.FORBIDDEN);
    assertThat(stolen.session().id()).isNotEqualTo(onA.id());
  }

  @Test
  void aViewMadeOnTheOtherMemberBeforeAnAcknowledgementStillReportsTheGap() {
    StreamSession onA = a.request(SessionRequest.fresh("hana")).session();
    for (int i = 0; i < 4; i++) {
      onA.emit(EventType.AGENT_THINKING, "r-1", Json.createObjectBuilder().add("text", "t" + i));
    }
    // B makes its view of the session now, with nothing acknowledged
    assertThat(b.request(resume(onA, 0)).resumed()).isTrue();
    onA.acknowledge(2); // then the client acknowledges on A

    SessionGrant grant = b.request(resume(onA, 0));
    assertThat(grant.resumed()).isTrue();
    Client client = new Client("c-b2");
    StreamSession.Attached attached = grant.session().attach(client, grant.replayAfter());
    grant.session().pull("c-b2");
    assertThat(attached.gap()).hasValueSatisfying(g -> assertThat(g.to()).isEqualTo(2));
    assertThat(client.seqs()).containsExactly(3L, 4L);
  }

  @Test
  void acknowledgedEventsAreAGapForAResumeOnTheOtherMember() {
    StreamSession onA = a.request(SessionRequest.fresh("gina")).session();
    for (int i = 0; i < 4; i++) {
      onA.emit(EventType.AGENT_THINKING, "r-1", Json.createObjectBuilder().add("text", "t" + i));
    }
    onA.acknowledge(2);
    SessionGrant grant = b.request(resume(onA, 0));
    assertThat(grant.resumed()).isTrue();
    Client client = new Client("c-b");
    StreamSession.Attached attached = grant.session().attach(client, grant.replayAfter());
    grant.session().pull("c-b");
    assertThat(attached.gap()).hasValueSatisfying(g -> assertThat(g.to()).isEqualTo(2));
    assertThat(client.seqs()).containsExactly(3L, 4L);
  }
}
