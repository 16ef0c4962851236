package io.agentwire.connection.control;

import java.io.IOException;

/** Whether an error the container reports only means that the client went away. */
final class ClientGone {

  private ClientGone() {}

  /**
   * An {@link IOException} anywhere in the cause chain: a reset, a broken pipe, an end of stream
   * inside a frame. Those are the client's doing (or the network's), never a server defect.
   */
  static boolean test(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }
}
