package io.agentwire.diagnostics.control;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * How many lines of one kind may be logged per interval: the first {@code perInterval} of each key
 * in each interval are logged, the rest only counted, and the count is handed out once per ended
 * interval for one summary line. Counting (metrics) is not this class's business: a caller counts
 * every occurrence and asks here only whether to write a line. A storm of 1,000 early senders then
 * writes a few lines and one summary instead of 2,000 lines.
 */
public final class LogBudget<K> {

  private static final class Window {
    long start;
    int logged;
    long suppressed;

    Window(long start) {
      this.start = start;
    }
  }

  private final int perInterval;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final Map<K, Window> windows = new HashMap<>();

  /**
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  public LogBudget(int perInterval, Duration interval, LongSupplier nanoClock) {
    if (perInterval < 0 || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("perInterval >= 0 and a positive interval");
    }
    this.perInterval = perInterval;
    this.intervalNanos = interval.toNanos();
    this.nanoClock = nanoClock;
  }

  /** Whether this occurrence of {@code key} may be logged; if not, it is counted as suppressed. */
  public synchronized boolean admit(K key) {
    long now = nanoClock.getAsLong();
    Window w = windows.computeIfAbsent(key, k -> new Window(now));
    if (now - w.start >= intervalNanos && w.suppressed == 0) {
      // A new interval; one with suppressed lines waits for its summary (take) to be reset.
      w.start = now;
      w.logged = 0;
    }
    if (w.logged < perInterval && now - w.start < intervalNanos) {
      w.logged++;
      return true;
    }
    w.suppressed++;
    return false;
  }

  /**
   * The suppressed counts of the intervals that have ended, by key (in no promised order), each
   * handed out once; their keys start a new interval.
   */
  public synchronized Map<K, Long> takeEnded() {
    long now = nanoClock.getAsLong();
    Map<K, Long> ended = new LinkedHashMap<>();
    windows
        .entrySet()
        .removeIf(
            e -> {
              Window w = e.getValue();
              if (now - w.start < intervalNanos) {
                return false;
              }
              if (w.suppressed > 0) {
                ended.put(e.getKey(), w.suppressed);
              }
              return true;
            });
    return ended;
  }
}
