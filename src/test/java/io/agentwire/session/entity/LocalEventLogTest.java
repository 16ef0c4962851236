package io.agentwire.session.entity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** A session's in-memory event log (PROTOCOL G6, G7, section 6) without a container. */
class LocalEventLogTest {

  private static final long PLENTY = Long.MAX_VALUE;

  private static LocalEventLog log(int maxEvents, long maxBytes) {
    return new LocalEventLog(maxEvents, maxBytes);
  }

  /** Appends events whose text names their seq, e.g. {@code e3}. */
  private static void append(EventLog log, int count) {
    for (int i = 0; i < count; i++) {
      log.append(seq -> "e" + seq);
    }
  }

  private static List<Long> seqs(Replay replay) {
    return replay.events().stream().map(StoredEvent::seq).toList();
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void assignsSeqsFromOneUpByOneAndEncodesEachEventWithItsOwnSeq() {
    LocalEventLog log = log(10, PLENTY);
    List<Long> assigned = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      assigned.add(log.append(seq -> "e" + seq).seq());
    }

    assertThat(assigned).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(log.lastSeq()).isEqualTo(5);
    assertThat(log.after(0).events())
        .extracting(StoredEvent::text)
        .containsExactly("e1", "e2", "e3", "e4", "e5");
  }

  @Test
  void afterASeqStillHeldAnswersEveryLaterEventInOrderAsComplete() {
    LocalEventLog log = log(10, PLENTY);
    append(log, 5);

    assertThat(log.after(2)).isInstanceOf(Replay.Complete.class);
    assertThat(seqs(log.after(2))).containsExactly(3L, 4L, 5L);
    assertThat(log.after(0)).isInstanceOf(Replay.Complete.class);
    assertThat(seqs(log.after(0))).containsExactlyElementsOf(range(1, 5));
  }

  @Test
  void afterTheLastSeqOrBeyondIsAnEmptyComplete() {
    LocalEventLog log = log(10, PLENTY);
    assertThat(log.after(0)).isEqualTo(new Replay.Complete(List.of()));

    append(log, 3);

    assertThat(log.after(3)).isEqualTo(new Replay.Complete(List.of()));
    assertThat(log.after(7)).isEqualTo(new Replay.Complete(List.of()));
  }

  @Test
  void theCountBoundDropsTheOldestAndAfterNamesExactlyTheLostSeqs() {
    LocalEventLog log = log(3, PLENTY);
    append(log, 5);

    assertThat(log.size()).isEqualTo(3);
    assertThat(log.lastSeq()).isEqualTo(5);
    List<StoredEvent> held =
        List.of(new StoredEvent(3, "e3"), new StoredEvent(4, "e4"), new StoredEvent(5, "e5"));
    assertThat(log.after(0)).isEqualTo(new Replay.Gap(1, 2, held));
    assertThat(log.after(1)).isEqualTo(new Replay.Gap(2, 2, held));
    assertThat(log.after(2)).isEqualTo(new Replay.Complete(held));
    assertThat(log.after(4)).isEqualTo(new Replay.Complete(held.subList(2, 3)));
  }

  @Test
  void theByteBoundCountsUtf8BytesOfMultiByteTextAndDropsTheOldest() {
    LocalEventLog log = log(100, 10);

    log.append(seq -> "\uD83D\uDE00\uD83D\uDE00"); // two emoji: 4 chars, 8 bytes
    assertThat(log.bytes()).isEqualTo(8);
    log.append(seq -> "éé"); // 2 chars, 4 bytes: 12 > 10, seq 1 goes
    assertThat(log.bytes()).isEqualTo(4);
    log.append(seq -> "a€"); // 1 + 3 bytes
    assertThat(log.bytes()).isEqualTo(8);
    log.append(seq -> "éa"); // 2 + 1 bytes: 11 > 10, seq 2 goes
    assertThat(log.bytes()).isEqualTo(7);

    assertThat(log.size()).isEqualTo(2);
    assertThat(log.after(0))
        .isEqualTo(
            new Replay.Gap(1, 2, List.of(new StoredEvent(3, "a€"), new StoredEvent(4, "éa"))));
  }

  @Test
  void anEventLongerThanTheByteBoundIsKeptAloneBecauseTheNewestIsAlwaysHeld() {
    LocalEventLog log = log(100, 4);
    append(log, 1);

    log.append(seq -> "ééééé"); // 10 bytes

    assertThat(log.size()).isEqualTo(1);
    assertThat(log.bytes()).isEqualTo(10);
    assertThat(log.after(0)).isEqualTo(new Replay.Gap(1, 1, List.of(new StoredEvent(2, "ééééé"))));
  }

  @Test
  void countsUtf8BytesAsTheJdkEncoderDoes() {
    List<String> texts =
        List.of(
            "",
            "plain ascii",
            "é",
            "€",
            "\uD83D\uDE00",
            "a\uD83D\uDE00é€z",
            "\u007F\u0080\u07FF\u0800\uFFFF",
            "lone high \uD800 then text",
            "lone low \uDC00",
            "high at end \uD800",
            "two highs \uD800\uD800\uDC00");
    for (String text : texts) {
      assertThat(LocalEventLog.utf8Length(text))
          .as(text)
          .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void acknowledgingForgetsUpToTheSeqAndAfterAnEarlierSeqReportsAGap() {
    LocalEventLog log = log(10, PLENTY);
    append(log, 5);

    log.acknowledge(3);

    assertThat(log.size()).isEqualTo(2);
    assertThat(log.bytes()).isEqualTo(4);
    List<StoredEvent> held = List.of(new StoredEvent(4, "e4"), new StoredEvent(5, "e5"));
    assertThat(log.after(2)).isEqualTo(new Replay.Gap(3, 3, held));
    assertThat(log.after(3)).isEqualTo(new Replay.Complete(held));

    log.acknowledge(1);
    assertThat(log.after(3)).isEqualTo(new Replay.Complete(held));
  }

  @Test
  void acknowledgingBeyondTheLastSeqForgetsOnlyUpToTheLastSeq() {
    LocalEventLog log = log(10, PLENTY);
    append(log, 3);

    log.acknowledge(10);

    assertThat(log.size()).isZero();
    assertThat(log.bytes()).isZero();
    assertThat(log.lastSeq()).isEqualTo(3);
    assertThat(log.after(1)).isEqualTo(new Replay.Gap(2, 3, List.of()));

    assertThat(log.append(seq -> "e" + seq).seq()).isEqualTo(4);
    assertThat(log.after(3)).isEqualTo(new Replay.Complete(List.of(new StoredEvent(4, "e4"))));
    assertThat(log.after(0)).isEqualTo(new Replay.Gap(1, 3, List.of(new StoredEvent(4, "e4"))));
  }

  @Test
  void anEncoderThatFailsStoresNothingAndUsesNoSeq() {
    LocalEventLog log = log(10, PLENTY);
    append(log, 1);

    assertThatThrownBy(
            () ->
                log.append(
                    seq -> {
                      throw new IllegalStateException("cannot encode " + seq);
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> log.append(seq -> null)).isInstanceOf(NullPointerException.class);

    assertThat(log.lastSeq()).isEqualTo(1);
    assertThat(log.append(seq -> "e" + seq).seq()).isEqualTo(2);
    assertThat(seqs(log.after(0))).containsExactly(1L, 2L);
  }

  @Test
  void refusesNegativeSeqsAndBoundsBelowOne() {
    LocalEventLog log = log(1, 1);
    assertThatThrownBy(() -> log.after(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> log.acknowledge(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> log(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> log(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void concurrentAppendsGetDistinctConsecutiveSeqsAndAreStoredInSeqOrder() throws Exception {
    int threads = 8;
    int perThread = 500;
    int total = threads * perThread;
    LocalEventLog log = log(total, PLENTY);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<List<Long>>> appenders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String thread = "t" + t;
      appenders.add(
          pool.submit(
              () -> {
                go.await();
                List<Long> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                  mine.add(log.append(seq -> thread + ":" + seq).seq());
                }
                return mine;
              }));
    }
    go.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

    List<Long> assigned = new ArrayList<>();
    for (Future<List<Long>> appender : appenders) {
      List<Long> mine = appender.get();
      assertThat(mine).isSorted().doesNotHaveDuplicates().hasSize(perThread);
      assigned.addAll(mine);
    }
    assertThat(assigned).containsExactlyInAnyOrderElementsOf(range(1, total));

    Replay replay = log.after(0);
    assertThat(replay).isInstanceOf(Replay.Complete.class);
    assertThat(seqs(replay)).containsExactlyElementsOf(range(1, total));
    for (StoredEvent event : replay.events()) {
      assertThat(event.text()).endsWith(":" + event.seq());
    }
    assertThat(log.lastSeq()).isEqualTo(total);
    assertThat(log.size()).isEqualTo(total);
  }
}
