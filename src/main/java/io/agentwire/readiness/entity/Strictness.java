package io.agentwire.readiness.entity;

import java.lang.System.Logger.Level;

/** How hard the ready gate is (PROTOCOL section 7). Chosen by configuration, never by code. */
public enum Strictness {
  PERMISSIVE,
  BALANCED,
  STRICT;

  /** Only authentication must finish; other late or failed steps ready the connection degraded. */
  public boolean acceptsDegraded() {
    return this == PERMISSIVE;
  }

  /** An illegal state transition is treated as a defect and closes the connection with 1011. */
  public boolean closesOnIllegalTransition() {
    return this == STRICT;
  }

  public Level illegalTransitionLevel() {
    return this == PERMISSIVE ? Level.INFO : Level.WARNING;
  }

  /** {@code POST /api/dev/token} answers. */
  public boolean servesDevelopmentTokens() {
    return this == PERMISSIVE;
  }

  /** Refuses to start when the verification key is the development key. */
  public boolean forbidsDevelopmentKey() {
    return this == STRICT;
  }

  /** Lets MicroProfile Config convert {@code permissive}, {@code balanced}, {@code strict}. */
  public static Strictness of(String value) {
    return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
