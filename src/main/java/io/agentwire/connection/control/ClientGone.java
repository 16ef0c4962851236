package io.agentwire.connection.control;

import java.io.IOException;
import java.util.concurrent.CancellationException;

/**
 * Whether an error the container reports only means that the client went away. Read from Tyrus 2.2
 * and Payara Micro 7.2026.11: a client that resets or ends its stream (mid-frame, between the
 * fragments of a message) never reaches {@code @OnError}, only {@code @OnClose} with 1006
 * (TyrusHttpUpgradeHandler.onError closes with CLOSED_ABNORMALLY); what does reach it is a send to
 * a peer that is already gone, surfacing as an {@link IOException} (Catalina's
 * ClientAbortException, Grizzly's "Connection is closed", a broken pipe), as Tyrus's
 * IllegalStateException "The connection has been closed." (TyrusSession.checkConnectionState) or as
 * its RuntimeException "Socket is not connected." (TyrusWebSocket.checkConnectedState).
 */
final class ClientGone {

  private ClientGone() {}

  static boolean test(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException || t instanceof CancellationException) {
        return true;
      }
      if (t instanceof IllegalStateException
          && "The connection has been closed.".equals(t.getMessage())) {
        return true;
      }
      if (t.getClass() == RuntimeException.class
          && "Socket is not connected.".equals(t.getMessage())) {
        return true;
      }
    }
    return false;
  }
}
