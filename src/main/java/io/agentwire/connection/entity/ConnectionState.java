package io.agentwire.connection.entity;

/** The states of a connection, as named in diagnostics and metrics (PROTOCOL section 3). */
public enum ConnectionState {
  CONNECTING,
  ACCEPTED,
  AUTHENTICATED,
  SERVICES_READY,
  READY,
  PROCESSING,
  DRAINING,
  CLOSING,
  CLOSED,
  FAILED;

  /** Application traffic may be handled in this state. */
  public boolean isReady() {
    return this == READY || this == PROCESSING || this == DRAINING;
  }

  /** Set-up is still under way: "not yet", never "no". */
  public boolean isSettingUp() {
    return this == CONNECTING
        || this == ACCEPTED
        || this == AUTHENTICATED
        || this == SERVICES_READY;
  }

  /** The connection is on its way out or gone. */
  public boolean isEnding() {
    return this == CLOSING || isTerminal();
  }

  /** No transition leaves this state. */
  public boolean isTerminal() {
    return this == CLOSED || this == FAILED;
  }

  public boolean isAuthenticated() {
    return compareTo(AUTHENTICATED) >= 0 && !isEnding();
  }
}
