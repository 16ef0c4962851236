package io.agentwire.session.entity;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.protocol.entity.EventType;
import jakarta.json.JsonObject;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The event sequence of a session (PROTOCOL G6) without a container. */
class StreamSessionTest {

  /** Cached: every {@code Json.create…} looks the provider up again (jakartaee/jsonp-api#154). */
  private static final JsonProvider JSON = JsonProvider.provider();

  private final List<String> sink = Collections.synchronizedList(new ArrayList<>());

  private StreamSession session(int maxEvents) {
    StreamSession session = new StreamSession("s-1", "alice", "token", maxEvents);
    session.sink(sink::add);
    return session;
  }

  private List<JsonObject> sent() {
    synchronized (sink) {
      return sink.stream().map(t -> JSON.createReader(new StringReader(t)).readObject()).toList();
    }
  }

  private static List<Long> seqs(List<JsonObject> events) {
    return events.stream().map(e -> e.getJsonNumber("seq").longValue()).toList();
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  private static void emit(StreamSession session, int count) {
    for (int i = 0; i < count; i++) {
      session.emit(EventType.AGENT_THINKING, "r-1", JSON.createObjectBuilder().add("i", i));
    }
  }

  @Test
  void numbersEventsFromOneWithoutGapsAndSendsThemInSeqOrderUnderConcurrentEmitters()
      throws Exception {
    int threads = 8;
    int perThread = 250;
    StreamSession session = session(threads * perThread);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> emitters = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String runId = "r-" + t;
      emitters.add(
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < perThread; i++) {
                  session.emit(
                      EventType.AGENT_THINKING, runId, JSON.createObjectBuilder().add("i", i));
                }
                return null;
              }));
    }
    go.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    for (Future<?> emitter : emitters) {
      emitter.get();
    }

    assertThat(seqs(sent())).containsExactlyElementsOf(range(1, threads * perThread));
    assertThat(seqs(session.unacknowledged())).containsExactlyElementsOf(seqs(sent()));
    assertThat(session.lastSeq()).isEqualTo(threads * perThread);
  }

  @Test
  void anEventCarriesTypeSeqRunIdUtcTimestampAndData() {
    long seq =
        session(10)
            .emit(EventType.TOOL_COMPLETED, "r-7", JSON.createObjectBuilder().add("tool", "t"));

    assertThat(sent()).hasSize(1);
    JsonObject event = sent().get(0);
    assertThat(seq).isEqualTo(1);
    assertThat(event.getString("type")).isEqualTo("tool_completed");
    assertThat(event.getJsonNumber("seq").longValue()).isEqualTo(1);
    assertThat(event.getString("runId")).isEqualTo("r-7");
    assertThat(event.getString("ts")).endsWith("Z");
    assertThat(Instant.parse(event.getString("ts"))).isNotNull();
    assertThat(event.getJsonObject("data").getString("tool")).isEqualTo("t");
  }

  @Test
  void forgetsEventsUpToTheAcknowledgedSeqAndKeepsNumbering() {
    StreamSession session = session(10);
    emit(session, 5);

    session.acknowledge(3);
    assertThat(seqs(session.unacknowledged())).containsExactly(4L, 5L);
    session.acknowledge(2);
    assertThat(seqs(session.unacknowledged())).containsExactly(4L, 5L);
    session.acknowledge(5);
    assertThat(session.unacknowledged()).isEmpty();

    emit(session, 1);
    assertThat(seqs(session.unacknowledged())).containsExactly(6L);
    assertThat(session.lastSeq()).isEqualTo(6);
  }

  @Test
  void keepsAtMostMaxEventsForgettingTheOldestButSendsEveryOne() {
    StreamSession session = session(3);
    emit(session, 5);

    assertThat(seqs(session.unacknowledged())).containsExactly(3L, 4L, 5L);
    assertThat(seqs(sent())).containsExactlyElementsOf(range(1, 5));
  }

  // --- attach, replay and detach (PROTOCOL section 6) ---

  /** A holder with a room of {@code room} events: what an outbound queue of that size takes. */
  private static final class Holder implements StreamSession.Subscriber {
    final String id;
    final List<String> received = Collections.synchronizedList(new ArrayList<>());
    int room;
    boolean behind;
    int asksForRoom;

    Holder(String id, int room) {
      this.id = id;
      this.room = room;
    }

    @Override
    public String holder() {
      return id;
    }

    @Override
    public void send(String text) {
      received.add(text);
    }

    @Override
    public boolean offer(String text) {
      if (room == 0) {
        asksForRoom++;
        return false;
      }
      room--;
      received.add(text);
      return true;
    }

    @Override
    public void fellBehind() {
      behind = true;
    }

    List<Long> seqs() {
      synchronized (received) {
        return received.stream()
            .map(t -> JSON.createReader(new StringReader(t)).readObject())
            .map(e -> e.getJsonNumber("seq").longValue())
            .toList();
      }
    }
  }

  private static void emitRun(StreamSession session, String runId, String agent) {
    session.emit(EventType.AGENT_STARTED, runId, JSON.createObjectBuilder().add("agent", agent));
  }

  @Test
  void aNewHolderStartsAtTheEndAndGetsOnlyLiveEvents() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100);
    emit(session, 3);
    Holder h = new Holder("c-1", 0);

    StreamSession.Attached attached = session.attach(h, java.util.OptionalLong.empty());
    assertThat(session.pull("c-1")).isZero();
    emit(session, 2);

    assertThat(attached.lastSeq()).isEqualTo(3);
    assertThat(attached.gap()).isEmpty();
    assertThat(h.seqs()).containsExactly(4L, 5L);
  }

  @Test
  void aResumeReplaysEveryEventAfterLastSeqThenGoesLiveWithoutDuplicates() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100);
    Holder first = new Holder("c-1", Integer.MAX_VALUE);
    session.attach(first, java.util.OptionalLong.empty());
    session.pull("c-1");
    emit(session, 5);
    session.detach("c-1", 0);
    emit(session, 3); // while away: 6, 7, 8

    Holder second = new Holder("c-2", Integer.MAX_VALUE);
    StreamSession.Attached attached = session.attach(second, java.util.OptionalLong.of(4));
    emit(session, 1); // 9: stored, not pushed, before the replay began
    assertThat(second.seqs()).isEmpty();
    assertThat(session.pull("c-2")).isEqualTo(5);
    emit(session, 1); // 10: live

    assertThat(attached.lastSeq()).isEqualTo(8);
    assertThat(attached.gap()).isEmpty();
    assertThat(attached.superseded()).isEmpty();
    assertThat(second.seqs()).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
  }

  @Test
  void aReplayWaitsForRoomAndGoesOnWhereItStopped() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 1000);
    emit(session, 200);
    Holder h = new Holder("c-1", 70);
    session.attach(h, java.util.OptionalLong.of(0));

    assertThat(session.pull("c-1")).isEqualTo(70);
    emit(session, 1); // 201 arrives while the replay waits: stored only
    assertThat(h.asksForRoom).isEqualTo(1);
    h.room = 1000;
    assertThat(session.pull("c-1")).isEqualTo(131);
    emit(session, 1);

    assertThat(h.seqs()).isEqualTo(range(1, 202));
  }

  @Test
  void aResumeBehindTrimmedEventsNamesTheGapAndReplaysFromTheOldestHeld() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 3);
    emit(session, 10); // holds 8, 9, 10
    Holder h = new Holder("c-1", Integer.MAX_VALUE);

    StreamSession.Attached attached = session.attach(h, java.util.OptionalLong.of(2));
    session.pull("c-1");

    assertThat(attached.gap()).contains(new io.agentwire.protocol.entity.ServerMessage.Gap(3, 7));
    assertThat(h.seqs()).containsExactly(8L, 9L, 10L);
  }

  @Test
  void aResumeBehindAnAckNamesTheAcknowledgedSeqsAsTheGap() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100);
    emit(session, 6);
    session.acknowledge(4);
    Holder h = new Holder("c-1", Integer.MAX_VALUE);

    StreamSession.Attached attached = session.attach(h, java.util.OptionalLong.of(1));
    session.pull("c-1");

    assertThat(attached.gap()).contains(new io.agentwire.protocol.entity.ServerMessage.Gap(2, 4));
    assertThat(h.seqs()).containsExactly(5L, 6L);
  }

  @Test
  void aLastSeqBeyondTheSessionsEndReplaysNothing() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100);
    emit(session, 3);
    Holder h = new Holder("c-1", Integer.MAX_VALUE);

    StreamSession.Attached attached = session.attach(h, java.util.OptionalLong.of(99));
    session.pull("c-1");
    emit(session, 1);

    assertThat(attached.gap()).isEmpty();
    assertThat(h.seqs()).containsExactly(4L);
  }

  @Test
  void aReplayOvertakenByTheBoundsTellsTheHolderItFellBehind() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 5);
    emit(session, 5);
    Holder h = new Holder("c-1", 1);
    session.attach(h, java.util.OptionalLong.of(0));
    session.pull("c-1"); // took 1, waits for room
    emit(session, 5); // the log now holds 6..10: 2..5 are gone before the holder got them
    h.room = 100;

    session.pull("c-1");

    assertThat(h.behind).isTrue();
    assertThat(h.seqs()).containsExactly(1L);
  }

  @Test
  void anotherHolderSupersedesTheFirstWhichGetsNothingMoreAndCannotDetachIt() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100);
    Holder first = new Holder("c-1", Integer.MAX_VALUE);
    session.attach(first, java.util.OptionalLong.empty());
    session.pull("c-1");
    emit(session, 2);

    Holder second = new Holder("c-2", Integer.MAX_VALUE);
    StreamSession.Attached attached = session.attach(second, java.util.OptionalLong.of(2));
    session.pull("c-2");
    assertThat(session.detach("c-1", 0)).as("the superseded holder detaches nothing").isFalse();
    assertThat(session.pull("c-1")).isZero();
    emit(session, 1);

    assertThat(attached.superseded()).contains("c-1");
    assertThat(first.seqs()).containsExactly(1L, 2L);
    assertThat(second.seqs()).containsExactly(3L);
    assertThat(session.attached()).isTrue();
    assertThat(session.detach("c-2", 42)).isTrue();
    assertThat(session.detachedSinceNanos()).hasValue(42);
  }

  @Test
  void theRunsInFlightFollowTheEventsAndAttachReportsThemWithTheirStartedSeq() {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100);
    emitRun(session, "r-1", "analyze");
    emit(session, 1);
    emitRun(session, "r-2", "echo");
    session.emit(EventType.AGENT_COMPLETED, "r-2", JSON.createObjectBuilder());

    StreamSession.Attached attached =
        session.attach(new Holder("c-1", 10), java.util.OptionalLong.of(0));

    assertThat(attached.runs())
        .containsExactly(
            new io.agentwire.protocol.entity.ServerMessage.RunInFlight("r-1", "analyze", 1));
    session.emit(EventType.AGENT_CANCELLED, "r-1", JSON.createObjectBuilder());
    assertThat(session.runs()).isEmpty();
  }

  @Test
  void aResumeUnderConcurrentEmittersLosesAndRepeatsNothing() throws Exception {
    StreamSession session = new StreamSession("s-1", "alice", "t", 100_000);
    emit(session, 500);
    Holder h = new Holder("c-1", 0);
    session.attach(h, java.util.OptionalLong.of(100));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    Future<?> emitter =
        pool.submit(
            () -> {
              go.await();
              emit(session, 2000);
              return null;
            });
    Future<?> puller =
        pool.submit(
            () -> {
              go.await();
              // Small rooms while the emitter runs, then all the room there is: the holder
              // catches up and turns live while events are still being emitted.
              for (int i = 0; i < 200; i++) {
                synchronized (session) {
                  h.room = 10;
                }
                session.pull("c-1");
              }
              synchronized (session) {
                h.room = Integer.MAX_VALUE;
              }
              session.pull("c-1");
              return null;
            });
    go.countDown();
    emitter.get(30, TimeUnit.SECONDS);
    puller.get(30, TimeUnit.SECONDS);
    pool.shutdown();
    assertThat(h.seqs()).isEqualTo(range(101, 2500));
  }
}
