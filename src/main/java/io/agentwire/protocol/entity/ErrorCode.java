package io.agentwire.protocol.entity;

import java.util.Locale;

/** The {@code code} of an {@code error} message (PROTOCOL section 4); the connection stays open. */
public enum ErrorCode {
  BAD_REQUEST,
  UNKNOWN_TYPE,
  UNKNOWN_AGENT,
  RUN_LIMIT,
  UNKNOWN_RUN,
  DUPLICATE_RUN;

  private final String wireName = name().toLowerCase(Locale.ROOT);

  /** The code on the wire, e.g. {@code bad_request}. */
  public String wireName() {
    return wireName;
  }
}
