package io.agentwire.session.entity;

import java.util.Locale;

/**
 * How a request for a session ended (PROTOCOL section 6), as counted in {@code
 * agentwire_resumes_total{outcome}}: resumed whole, resumed with a gap, or refused for one of the
 * three reasons {@code ready.resumeFailure} names.
 */
public enum ResumeOutcome {
  RESUMED,
  GAP,
  /** No such session: never issued here, or forgotten a retention period after it expired. */
  UNKNOWN,
  /** The session passed its retention. */
  EXPIRED,
  /** The session belongs to another subject. */
  FORBIDDEN;

  /** The wire and label form, e.g. {@code expired}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the session was resumed (with or without a gap). */
  public boolean resumed() {
    return this == RESUMED || this == GAP;
  }
}
