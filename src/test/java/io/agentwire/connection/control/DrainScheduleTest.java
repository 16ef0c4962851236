package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The drain's schedule (PROTOCOL section 9): spread, grace, runs in flight. */
class DrainScheduleTest {

  private static final Duration SPREAD = Duration.ofSeconds(5);
  private static final Duration GRACE = Duration.ofSeconds(25);

  private final DrainSchedule schedule = new DrainSchedule(SPREAD, GRACE, new SplittableRandom(3));

  @Test
  void slotsLieWithinTheSpreadAndCoverIt() {
    List<Long> slots = new ArrayList<>();
    IntStream.range(0, 2000).forEach(i -> slots.add(schedule.slot().toMillis()));

    assertThat(slots).allSatisfy(ms -> assertThat(ms).isBetween(0L, SPREAD.toMillis()));
    // Spread, not bunched: every second of the window holds a fair share (about 400 each).
    for (long second = 0; second < 5; second++) {
      long s = second;
      assertThat(slots.stream().filter(ms -> ms / 1000 == s).count())
          .as("slots in second %d", second)
          .isBetween(300L, 500L);
    }
  }

  @Test
  void reconnectWaitsLieWithinTheSpreadAndDiffer() {
    List<Long> waits = new ArrayList<>();
    IntStream.range(0, 200).forEach(i -> waits.add(schedule.reconnectAfterMs()));

    assertThat(waits).allSatisfy(ms -> assertThat(ms).isBetween(0L, SPREAD.toMillis()));
    assertThat(waits.stream().distinct().count()).isGreaterThan(150);
  }

  @Test
  void noSlotLiesPastTheGraceEvenWhenTheSpreadIsLonger() {
    DrainSchedule shortGrace =
        new DrainSchedule(Duration.ofSeconds(10), Duration.ofSeconds(2), new SplittableRandom(1));

    IntStream.range(0, 500)
        .forEach(i -> assertThat(shortGrace.slot()).isLessThanOrEqualTo(Duration.ofSeconds(2)));
  }

  @Test
  void anIdleConnectionIsDueAtItsSlot() {
    Duration slot = Duration.ofMillis(1200);

    assertThat(schedule.due(Duration.ofMillis(1199), slot, false)).isFalse();
    assertThat(schedule.due(Duration.ofMillis(1200), slot, false)).isTrue();
  }

  @Test
  void aConnectionWithRunsInFlightWaitsPastItsSlotUntilTheGrace() {
    Duration slot = Duration.ofMillis(1200);

    assertThat(schedule.due(Duration.ofSeconds(3), slot, true)).isFalse();
    assertThat(schedule.due(GRACE.minusMillis(1), slot, true)).isFalse();
    assertThat(schedule.due(GRACE, slot, true)).isTrue();
    // Its runs ended: it is due at once (its slot has passed).
    assertThat(schedule.due(Duration.ofSeconds(3), slot, false)).isTrue();
  }

  @Test
  void aZeroSpreadDrainsAtOnceAndAsksForNoWait() {
    DrainSchedule now = new DrainSchedule(Duration.ZERO, GRACE, new SplittableRandom(1));

    assertThat(now.slot()).isZero();
    assertThat(now.reconnectAfterMs()).isZero();
  }

  @Test
  void refusesNegativeWindows() {
    assertThatThrownBy(
            () -> new DrainSchedule(Duration.ofSeconds(-1), GRACE, new SplittableRandom(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
