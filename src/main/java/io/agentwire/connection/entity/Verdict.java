package io.agentwire.connection.entity;

import java.util.List;

/** The three-valued answer to "may this connection take application traffic?". */
public sealed interface Verdict {

  /** Yes; {@code degraded} names the steps that did not finish (permissive only). */
  record Ready(List<SetupStep> degraded) implements Verdict {}

  /** Not yet: set-up is legitimately in progress; wait for it, never refuse. */
  record NotYet(String waitingFor) implements Verdict {}

  /**
   * Never: the connection cannot become ready. {@code step} is the step that failed or was late, or
   * null when the connection is simply gone.
   */
  record Never(SetupStep step, Cause cause) implements Verdict {}

  /** Why a connection will never be ready. */
  enum Cause {
    /** The transport or the connection is closing or closed. */
    GONE,
    /** A set-up step failed. */
    STEP_FAILED,
    /** Set-up did not finish within the deadline (G4). */
    DEADLINE_EXCEEDED
  }
}
