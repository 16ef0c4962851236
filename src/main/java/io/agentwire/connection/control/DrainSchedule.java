package io.agentwire.connection.control;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When each connection of a draining instance is closed, and how long its client is asked to wait
 * before it comes back (PROTOCOL section 9). Idle connections get a slot spread uniformly over
 * {@code agentwire.drain.spread}, so that their clients do not all reconnect at once; a connection
 * with runs in flight waits past its slot for its runs to end, and is closed at {@code
 * agentwire.drain.grace} at the latest. {@code reconnectAfterMs} is drawn from the same window, on
 * top of the spread closes. No slot lies past the grace.
 */
public final class DrainSchedule {

  private final Duration spread;
  private final Duration grace;
  private final RandomGenerator random;

  /**
   * @param spread the window idle connections are closed over ({@code agentwire.drain.spread})
   * @param grace how long runs in flight may keep their connection ({@code agentwire.drain.grace})
   * @param random where the slots come from; used by one thread at a time
   */
  public DrainSchedule(Duration spread, Duration grace, RandomGenerator random) {
    if (spread.isNegative() || grace.isNegative()) {
      throw new IllegalArgumentException("spread and grace must not be negative");
    }
    this.spread = spread;
    this.grace = grace;
    this.random = Objects.requireNonNull(random, "random");
  }

  /** An idle connection's slot after the drain began: uniform in [0, min(spread, grace)]. */
  public Duration slot() {
    long window = Math.min(spread.toMillis(), grace.toMillis());
    return Duration.ofMillis(window == 0 ? 0 : random.nextLong(window + 1));
  }

  /** The {@code reconnectAfterMs} of one {@code draining} message: uniform in [0, spread]. */
  public long reconnectAfterMs() {
    long window = spread.toMillis();
    return window == 0 ? 0 : random.nextLong(window + 1);
  }

  /** The latest time after the drain began at which any connection is closed. */
  public Duration grace() {
    return grace;
  }

  /**
   * Whether a connection whose slot is {@code slot} closes at {@code sinceStart}: once its slot has
   * passed if it is idle; once the grace has passed if it still has runs in flight.
   */
  public boolean due(Duration sinceStart, Duration slot, boolean busy) {
    return sinceStart.compareTo(slot) >= 0 && (!busy || sinceStart.compareTo(grace) >= 0);
  }
}
