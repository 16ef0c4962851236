package io.agentwire.session.entity;

import java.util.Objects;
import java.util.Optional;

/**
 * What a connection asks of the session directory: a session for {@code subject}, the one of {@code
 * resumeToken} if given, replaying after {@code lastSeq} (0 when the client gave none or none that
 * is a number: it then gets every event held, and a gap tells what is not).
 */
public record SessionRequest(String subject, Optional<String> resumeToken, long lastSeq) {

  public SessionRequest {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(resumeToken, "resumeToken");
    resumeToken = resumeToken.filter(t -> !t.isEmpty());
    lastSeq = Math.max(0, lastSeq);
  }

  /** No resume. */
  public static SessionRequest fresh(String subject) {
    return new SessionRequest(subject, Optional.empty(), 0);
  }

  /**
   * From the upgrade's query parameters {@code resume} and {@code lastSeq}; a {@code lastSeq} that
   * is not a non-negative integer counts as 0.
   */
  public static SessionRequest of(String subject, String resume, String lastSeq) {
    long seq = 0;
    if (lastSeq != null && !lastSeq.isEmpty() && lastSeq.length() <= 19) {
      try {
        seq = Long.parseLong(lastSeq);
      } catch (NumberFormatException e) {
        seq = 0;
      }
    }
    return new SessionRequest(subject, Optional.ofNullable(resume), seq);
  }
}
