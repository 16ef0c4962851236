package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.RacePattern;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The send path of every server message: the token-expiry guard, the connection's outbound queue,
 * and the races it reveals (a send before {@code ready} or after the close).
 */
public final class Delivery {

  private final ClosePolicy closes;
  private final Executor executor;
  private final Clock clock;
  private final long skewMillis;

  /**
   * @param executor where closes caused by a send run: the sender may hold a session's lock, and
   *     the lock order is connection first
   * @param skew the clock skew allowed on a token's {@code exp}
   */
  public Delivery(ClosePolicy closes, Executor executor, Clock clock, Duration skew) {
    this.closes = closes;
    this.executor = executor;
    this.clock = clock;
    this.skewMillis = skew.toMillis();
  }

  /** Sends one server message through the connection's outbound queue. */
  public void send(Connection c, String text) {
    if (c.tokenExpired(clock.millis(), skewMillis)) {
      // No event leaves after the token's end, even if the sweeper has not closed it yet.
      closes.race(RacePattern.SEND_AFTER_CLOSE, c, "token expired");
      executor.execute(() -> closes.close(c, CloseCode.UNAUTHORIZED, tokenExpired(), false));
      return;
    }
    switch (c.outbound().offer(text)) {
      case QUEUED -> {}
      case BEFORE_READY -> closes.race(RacePattern.SEND_BEFORE_READY, c, "queued behind ready");
      case AFTER_CLOSE -> closes.race(RacePattern.SEND_AFTER_CLOSE, c, "dropped in " + c.state());
      case OVERFLOW ->
          executor.execute(
              () -> closes.close(c, CloseCode.TOO_SLOW, CloseCode.TOO_SLOW.reason(), false));
    }
  }

  /**
   * Offers one replayed event: queued if the outbound queue has room for it now; otherwise false,
   * and {@code whenRoom} runs once it has.
   */
  public boolean replay(Connection c, String text, Runnable whenRoom) {
    if (c.tokenExpired(clock.millis(), skewMillis)) {
      executor.execute(() -> closes.close(c, CloseCode.UNAUTHORIZED, tokenExpired(), false));
      return false;
    }
    return c.outbound().offerIfRoom(text, whenRoom);
  }

  static String tokenExpired() {
    return CloseCode.UNAUTHORIZED.reason("token expired");
  }
}
