package io.agentwire.agent.control;

import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.session.entity.StreamSession;
import java.util.Optional;

/**
 * What the runner needs of whoever sent a request, for that request only: the session it acts on
 * and a way to refuse it. A run never keeps its peer: its events go through the session, so they
 * reach whichever connection holds the session.
 */
public interface Peer {

  Optional<StreamSession> session();

  String logId();

  /** Answers the request with an {@code error} message. */
  void refuse(ErrorCode code, String message, String ref);

  /** A run started on the request's connection; called under the connection's monitor. */
  void runStarted();
}
