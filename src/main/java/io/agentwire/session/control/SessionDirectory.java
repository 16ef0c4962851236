package io.agentwire.session.control;

import io.agentwire.session.entity.ClusterInfo;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import java.util.Collection;
import java.util.Optional;

/**
 * Where sessions are found: local to this instance now ({@link Sessions}), in the data grid once
 * sessions are shared by a cluster. Every resume decision (PROTOCOL section 6) is made here.
 */
public interface SessionDirectory {

  /** The session a connection gets: the one it resumes, or a new one (with the reason). */
  SessionGrant request(SessionRequest request);

  Optional<StreamSession> find(String id);

  /** Every session held, attached or not. */
  Collection<StreamSession> all();

  /** Sessions held. */
  int count();

  /** Sessions a connection holds now; the rest are detached, within their retention. */
  long attached();

  /**
   * A client cancels a run that is not in flight here: whether it is in flight on another member of
   * the cluster, which is then asked to cancel it. Never on one instance.
   */
  default boolean cancelElsewhere(String sessionId, String runId) {
    return false;
  }

  /** This instance's place in the cluster; empty on one instance ({@code --nocluster}). */
  default Optional<ClusterInfo> cluster() {
    return Optional.empty();
  }
}
