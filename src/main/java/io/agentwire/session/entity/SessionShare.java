package io.agentwire.session.entity;

import io.agentwire.protocol.entity.ServerMessage.RunInFlight;
import java.util.List;
import java.util.Optional;

/**
 * What of a session lives beyond this instance's {@link StreamSession}: its runs in flight, the
 * connection that holds it, and who else is told of each stored event. On one instance it is this
 * object alone ({@link LocalShare}); in a cluster it is the session's record in the data grid and
 * the cluster's bus, so that a run on one instance and the connection on another see one session.
 * Called under the session's lock, in the order of the session's events.
 */
public interface SessionShare {

  /** The event is stored (with its backup, G7): whoever else may hold the session is told. */
  void stored(StoredEvent event);

  /** A run started with the event of seq {@code run.startedSeq()}. */
  void runStarted(RunInFlight run);

  /** The run's terminal event is stored. */
  void runEnded(String runId);

  /** The session's runs in flight, oldest first, wherever they run. */
  List<RunInFlight> runs();

  /**
   * {@code holder} (a connection id on this instance) holds the session from now on; the answer is
   * the holder on another instance it took the session from, which that instance closes with 4509.
   * A holder on this instance is the session's own business and never named here.
   */
  Optional<String> hold(String holder);

  /** {@code holder} let the session go: it is detached from now on, unless another took it. */
  void release(String holder);
}
