package io.agentwire.connection.entity;

import io.agentwire.protocol.entity.Excerpt;
import jakarta.websocket.CloseReason;

/** The close codes of PROTOCOL section 8, each with its standard reason. */
public enum CloseCode implements CloseReason.CloseCode {
  NORMAL(1000, ""),
  IDLE(1001, "idle"),
  TEXT_ONLY(1003, "text frames only"),
  TOO_BIG(1009, "message too big"),
  DEFECT(1011, "internal error"),
  DRAINING(1012, "draining"),
  NOT_READY(1013, "not ready"),
  UNAUTHORIZED(4401, "unauthorized"),
  TOO_SLOW(4408, "too slow"),
  TOO_MANY(4429, "too many messages"),
  SUPERSEDED(4509, "superseded");

  /**
   * The label of {@code code} in {@code agentwire_closes_total{code}}: the code itself where RFC
   * 6455 section 7.4.1 or PROTOCOL section 8 names it, {@code other} for the rest. A client chooses
   * its own close codes (3000-4999, and anything it likes on a broken frame), so a label per code
   * would let clients mint metric series without end.
   */
  public static String metricLabel(int code) {
    return NAMED.contains(code) ? Integer.toString(code) : "other";
  }

  private static final java.util.Set<Integer> NAMED =
      java.util.Set.of(
          1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015,
          4000, 4401, 4408, 4429, 4509);

  /** A close frame carries at most 123 bytes of reason (RFC 6455 section 5.5). */
  public static final int MAX_REASON_BYTES = Excerpt.CLOSE_REASON_BYTES;

  private final int code;
  private final String reason;

  CloseCode(int code, String reason) {
    this.code = code;
    this.reason = reason;
  }

  @Override
  public int getCode() {
    return code;
  }

  /** The standard reason, e.g. {@code idle}. */
  public String reason() {
    return reason;
  }

  /** {@code <standard reason>: <detail>}, cut to fit a close frame. */
  public String reason(String detail) {
    return fit(reason + ": " + detail);
  }

  /** Cuts a reason to the close frame limit without splitting a character. */
  public static String fit(String reason) {
    return Excerpt.fit(reason, MAX_REASON_BYTES);
  }

  public CloseReason toCloseReason(String text) {
    return new CloseReason(this, fit(text));
  }
}
