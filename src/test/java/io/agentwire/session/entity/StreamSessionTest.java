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
}
