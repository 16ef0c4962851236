package io.agentwire.connection.control;

/**
 * A token bucket of {@code perSecond} messages that refills continuously: bursts up to one second's
 * worth pass, a sustained rate above it does not.
 */
public final class RateLimit {

  private static final long SECOND = 1_000_000_000L;

  private final long perSecond;
  private double tokens;
  private long last;

  public RateLimit(int perSecond, long nowNanos) {
    this.perSecond = Math.max(1, perSecond);
    this.tokens = this.perSecond;
    this.last = nowNanos;
  }

  /** Takes one token; false when the rate is exceeded. */
  public synchronized boolean admit(long nowNanos) {
    long elapsed = Math.max(0, nowNanos - last);
    last = nowNanos;
    tokens = Math.min(perSecond, tokens + (double) elapsed * perSecond / SECOND);
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
