package io.agentwire.readiness.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Stuck means: tasks wait and none started for the patience; a busy executor is not stuck. */
class ExecutorWatchTest {

  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private final AtomicLong nanos = new AtomicLong();
  private final Queue<Runnable> queued = new ArrayDeque<>();
  private final ExecutorWatch watch = new ExecutorWatch("set-up", queued::add, nanos::get);

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void anIdleExecutorIsNeverStuck() {
    advance(PATIENCE.multipliedBy(10));
    assertThat(watch.stuck(PATIENCE)).isFalse();
    assertThat(watch.waiting()).isZero();
  }

  @Test
  void tasksThatWaitPastThePatienceWithNoneStartingMeanStuck() {
    advance(PATIENCE.multipliedBy(10)); // idle for long: the clock starts at the first submit
    watch.execute(() -> {});
    advance(PATIENCE);
    assertThat(watch.stuck(PATIENCE)).isFalse();
    advance(Duration.ofNanos(1));
    assertThat(watch.stuck(PATIENCE)).isTrue();
    assertThat(watch.waiting()).isEqualTo(1);
  }

  @Test
  void aBacklogThatKeepsMovingIsNotStuck() {
    for (int i = 0; i < 100; i++) {
      watch.execute(() -> {});
    }
    for (int i = 0; i < 50; i++) {
      advance(Duration.ofSeconds(10));
      queued.poll().run();
      assertThat(watch.stuck(PATIENCE)).as("after %d started", i + 1).isFalse();
    }
    assertThat(watch.waiting()).isEqualTo(50);
  }

  @Test
  void aRefusedTaskIsNotCountedAsWaiting() {
    ExecutorWatch refusing =
        new ExecutorWatch(
            "full",
            task -> {
              throw new java.util.concurrent.RejectedExecutionException("full");
            },
            nanos::get);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> refusing.execute(() -> {}))
        .as("the refusal reaches the caller, which handles it")
        .isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
    assertThat(refusing.waiting()).isZero();
  }
}
