package io.agentwire.security.entity;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/** The answer to "who sent this token?": a verified subject, or why the token was rejected. */
public sealed interface TokenVerdict {

  /**
   * The token is authentic and current; {@code subject} is sub, else upn, else preferred_username.
   */
  record Verified(String subject, Set<String> groups, Instant expiresAt) implements TokenVerdict {
    public Verified {
      Objects.requireNonNull(subject);
      Objects.requireNonNull(expiresAt);
      groups = Set.copyOf(groups);
    }
  }

  /**
   * The token is refused. {@code why} is a short lowercase reason from a fixed vocabulary (such as
   * {@code expired}) that goes into the close reason {@code unauthorized: <why>}; it never holds
   * any part of the token.
   */
  record Rejected(String why) implements TokenVerdict {
    public static final String MISSING_TOKEN = "missing token";
    public static final String MALFORMED_TOKEN = "malformed token";
    public static final String UNSUPPORTED_ALGORITHM = "unsupported algorithm";
    public static final String UNSUPPORTED_TYPE = "unsupported token type";
    public static final String UNKNOWN_KEY = "unknown key";
    public static final String BAD_SIGNATURE = "bad signature";
    public static final String WRONG_ISSUER = "wrong issuer";
    public static final String WRONG_AUDIENCE = "wrong audience";
    public static final String MISSING_EXPIRY = "missing exp";
    public static final String MISSING_ISSUED_AT = "missing iat";
    public static final String EXPIRED = "expired";
    public static final String NOT_YET_VALID = "not yet valid";
    public static final String MISSING_SUBJECT = "missing subject";
    public static final String MALFORMED_GROUPS = "malformed groups";
    public static final String NO_KEY = "no verification key";
    public static final String NO_ISSUER = "no issuer configured";

    public Rejected {
      Objects.requireNonNull(why);
    }
  }
}
