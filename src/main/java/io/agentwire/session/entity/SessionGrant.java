package io.agentwire.session.entity;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The session a connection gets: the one it resumed (with the seq to replay after), or a new one,
 * with the reason a resume it asked for was refused.
 */
public record SessionGrant(
    StreamSession session, OptionalLong replayAfter, Optional<ResumeOutcome> refused) {

  public SessionGrant {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(replayAfter, "replayAfter");
    Objects.requireNonNull(refused, "refused");
    if (refused.isPresent() && refused.get().resumed()) {
      throw new IllegalArgumentException("a refusal is unknown, expired or forbidden");
    }
  }

  /** A new session, no resume asked for. */
  public static SessionGrant fresh(StreamSession session) {
    return new SessionGrant(session, OptionalLong.empty(), Optional.empty());
  }

  public boolean resumed() {
    return replayAfter.isPresent();
  }
}
