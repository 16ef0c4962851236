package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.control.Outbound.Accepted;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The outbound queue against a fake remote endpoint that completes sends when told to. */
class OutboundTest {

  /** A remote whose sends complete only when {@link #complete()} is called. */
  static final class FakeRemote implements Outbound.Remote {
    final List<String> wire = new CopyOnWriteArrayList<>();
    final List<Consumer<Throwable>> pending = new ArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    int maxInFlight;

    @Override
    public synchronized void send(String text, Consumer<Throwable> done) {
      wire.add(text);
      maxInFlight = Math.max(maxInFlight, inFlight.incrementAndGet());
      pending.add(done);
    }

    /** Completes the oldest send in flight. */
    void complete() {
      Consumer<Throwable> done;
      synchronized (this) {
        done = pending.remove(0);
        inFlight.decrementAndGet();
      }
      done.accept(null);
    }

    void completeAll() {
      while (true) {
        synchronized (this) {
          if (pending.isEmpty()) {
            return;
          }
        }
        complete();
      }
    }
  }

  private final FakeRemote remote = new FakeRemote();
  private final List<Throwable> failures = new ArrayList<>();

  private Outbound outbound(long maxBytes) {
    return new Outbound(remote, maxBytes, (text, failure) -> failures.add(failure));
  }

  @Test
  void sendsNothingBeforeOpenThenTheFirstMessageAheadOfEverything() {
    Outbound out = outbound(1024);

    assertThat(out.offer("early-1")).isEqualTo(Accepted.BEFORE_READY);
    assertThat(out.offer("early-2")).isEqualTo(Accepted.BEFORE_READY);
    assertThat(remote.wire).isEmpty();

    out.open("ready");
    remote.completeAll();

    assertThat(remote.wire).containsExactly("ready", "early-1", "early-2");
  }

  @Test
  void keepsOneSendInFlightAndTheOrderOfOffers() {
    Outbound out = outbound(1 << 20);
    out.open("ready");
    for (int i = 0; i < 50; i++) {
      assertThat(out.offer("m" + i)).isEqualTo(Accepted.QUEUED);
    }
    assertThat(remote.wire)
        .as("only ready is on the wire until it completes")
        .containsExactly("ready");

    remote.completeAll();

    assertThat(remote.maxInFlight).isEqualTo(1);
    List<String> expected = new ArrayList<>(List.of("ready"));
    for (int i = 0; i < 50; i++) {
      expected.add("m" + i);
    }
    assertThat(remote.wire).containsExactlyElementsOf(expected);
  }

  @Test
  void overflowsWhenTheClientReadsTooSlowly() {
    Outbound out = outbound(20);
    out.open("ready"); // 5 bytes, in flight and never completed: the client does not read

    assertThat(out.offer("0123456789")).isEqualTo(Accepted.QUEUED);
    assertThat(out.offer("0123456789")).as("5 + 10 + 10 > 20").isEqualTo(Accepted.OVERFLOW);
  }

  @Test
  void dropsSendsAfterClose() {
    Outbound out = outbound(1024);
    out.open("ready");
    out.abort();

    assertThat(out.offer("late")).isEqualTo(Accepted.AFTER_CLOSE);
    remote.completeAll();
    assertThat(remote.wire).containsExactly("ready");
  }

  @Test
  void finishSendsWhatIsQueuedThenRunsTheClose() {
    Outbound out = outbound(1024);
    out.open("ready");
    out.offer("draining");
    List<String> order = new CopyOnWriteArrayList<>();
    out.finish(() -> order.add("close"));

    assertThat(out.offer("after")).isEqualTo(Accepted.AFTER_CLOSE);
    assertThat(order).as("not before the queue is flushed").isEmpty();
    remote.completeAll();

    assertThat(remote.wire).containsExactly("ready", "draining");
    assertThat(order).containsExactly("close");
  }

  @Test
  void discardDropsTheQueueAndRunsTheCloseOnceTheSendInFlightCompletes() {
    Outbound out = outbound(1024);
    out.open("ready"); // in flight: the container has not taken it yet
    out.offer("event-1");
    out.offer("event-2");
    List<String> order = new CopyOnWriteArrayList<>();
    out.discard(() -> order.add("close"));

    assertThat(out.offer("after")).isEqualTo(Accepted.AFTER_CLOSE);
    assertThat(out.queuedBytes()).as("only the send in flight is left").isEqualTo(5);
    assertThat(order).as("not before the send in flight completes").isEmpty();
    remote.completeAll();

    assertThat(remote.wire).containsExactly("ready");
    assertThat(order).containsExactly("close");
  }

  @Test
  void discardWithNothingInFlightRunsTheCloseAtOnce() {
    Outbound out = outbound(1024);
    out.open("ready");
    remote.completeAll();
    List<String> order = new CopyOnWriteArrayList<>();
    out.discard(() -> order.add("close"));

    assertThat(order).containsExactly("close");
  }

  @Test
  void aSendThatThrowsIsAFailedSendNotAStuckQueue() {
    Outbound out =
        new Outbound(
            (text, done) -> {
              throw new Error("unencodable");
            },
            1024,
            (text, failure) -> failures.add(failure));

    out.open("ready");

    assertThat(failures).extracting(Throwable::getMessage).containsExactly("unencodable");
    assertThat(out.offer("more")).isEqualTo(Accepted.AFTER_CLOSE);
  }

  @Test
  void aFailedSendClosesTheQueueAndIsReported() {
    Outbound out = outbound(1024);
    out.open("ready");
    out.offer("next");
    Consumer<Throwable> first;
    synchronized (remote) {
      first = remote.pending.remove(0);
    }
    first.accept(new java.io.IOException("broken pipe"));

    assertThat(failures).hasSize(1);
    assertThat(out.offer("more")).isEqualTo(Accepted.AFTER_CLOSE);
    assertThat(remote.wire).containsExactly("ready");
  }

  @Test
  void concurrentOffersWithSynchronousCompletionKeepEachProducersOrder() throws Exception {
    // A remote that completes on the calling thread, as a container may.
    List<String> wire = new CopyOnWriteArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    Outbound out =
        new Outbound(
            (text, done) -> {
              maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
              wire.add(text);
              inFlight.decrementAndGet();
              done.accept(null);
            },
            1 << 24,
            (t, f) -> {});
    out.open("ready");
    int producers = 4;
    int each = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    CountDownLatch start = new CountDownLatch(1);
    for (int p = 0; p < producers; p++) {
      int id = p;
      pool.execute(
          () -> {
            try {
              start.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            for (int i = 0; i < each; i++) {
              out.offer(id + ":" + i);
            }
          });
    }
    start.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

    assertThat(wire).hasSize(1 + producers * each);
    assertThat(wire.get(0)).isEqualTo("ready");
    assertThat(maxInFlight.get()).isEqualTo(1);
    for (int p = 0; p < producers; p++) {
      String prefix = p + ":";
      List<String> mine = wire.stream().filter(s -> s.startsWith(prefix)).toList();
      for (int i = 0; i < each; i++) {
        assertThat(mine.get(i)).isEqualTo(prefix + i);
      }
    }
  }

  @Test
  void aReplayTakesHalfTheBoundThenWaitsForRoomAndIsToldOnceThereIsSome() {
    Outbound out = outbound(100);
    out.open("r");
    AtomicInteger told = new AtomicInteger();
    String ten = "x".repeat(10);

    List<Boolean> taken = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      taken.add(out.offerIfRoom(ten, told::incrementAndGet));
    }

    // "r" (1 byte) is in flight; four more of 10 bytes fit under half of 100, the fifth does not.
    assertThat(taken).containsExactly(true, true, true, true, false, false);
    assertThat(told).hasValue(0);
    remote.complete(); // "r"
    assertThat(told).as("40 bytes left queued: under half the bound").hasValue(1);
    assertThat(out.offerIfRoom(ten, told::incrementAndGet)).isTrue();
  }

  @Test
  void aReplayedEventLongerThanHalfTheBoundGoesOutWhenTheQueueIsEmpty() {
    Outbound out = outbound(100);
    out.open("r");
    remote.complete();

    assertThat(out.offerIfRoom("y".repeat(80), () -> {})).isTrue();
    assertThat(remote.wire).containsExactly("r", "y".repeat(80));
  }

  @Test
  void aReplayIsRefusedBeforeOpenAndAfterCloseAndNeverToldThen() {
    Outbound out = outbound(100);
    AtomicInteger told = new AtomicInteger();

    assertThat(out.offerIfRoom("a", told::incrementAndGet)).isFalse();
    out.open("r");
    out.offerIfRoom("x".repeat(49), told::incrementAndGet);
    assertThat(out.offerIfRoom("x".repeat(10), told::incrementAndGet)).isFalse();
    out.abort();
    remote.completeAll();

    assertThat(told).hasValue(0);
  }
}
