package io.agentwire.connection.entity;

import java.io.Serializable;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

/**
 * What a connection announces as it lives: components observe these (CDI events) instead of
 * reaching into the connection. Each record carries ids and values, never a live object, and is
 * {@code Serializable} so that Payara's clustered event bus can carry it later.
 */
public sealed interface ConnectionLifecycle extends Serializable {

  /** The transport id until registration assigned the connection id, then that id. */
  String connectionId();

  /** The socket opened; set-up begins. */
  record Opened(String connectionId) implements ConnectionLifecycle {}

  /** {@code ready} was sent, {@code openToReady} after the socket opened. */
  record Ready(String connectionId, String sessionId, Duration openToReady, List<String> degraded)
      implements ConnectionLifecycle {
    public Ready {
      degraded = List.copyOf(degraded);
    }
  }

  /** A message arrived before {@code ready} and is held (G2). */
  record Held(String connectionId) implements ConnectionLifecycle {}

  /** The connection's last run in flight ended; it is READY again. */
  record RunsIdle(String connectionId, String sessionId) implements ConnectionLifecycle {}

  /** A race pattern of PROTOCOL section 9 was seen, with the level to log it at. */
  record Race(RacePattern pattern, String connectionId, String detail, Level level)
      implements ConnectionLifecycle {}

  /**
   * A connection asked to resume a session: {@code outcome} is {@code resumed}, {@code gap}, {@code
   * unknown}, {@code expired} or {@code forbidden}.
   */
  record Resumed(String connectionId, String sessionId, String outcome)
      implements ConnectionLifecycle {}

  /** {@code count} stored events were replayed to a resumed connection. */
  record Replayed(String connectionId, int count) implements ConnectionLifecycle {}

  /** The connection closed with {@code code}; {@code summary} is what diagnostics keep of it. */
  record Closed(String connectionId, int code, ConnectionSummary summary)
      implements ConnectionLifecycle {}
}
