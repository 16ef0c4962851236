package io.agentwire.session.entity;

/**
 * What another member of the cluster asks of this instance, fired as a CDI event by the cluster
 * directory: the connections and the runs of this instance act on it.
 */
public sealed interface ClusterNotice {

  /** A connection here lost its session to a connection on another instance: 4509. */
  record Superseded(String connectionId, String sessionId) implements ClusterNotice {}

  /** A client on another instance cancels a run that executes here. */
  record Cancel(String sessionId, String runId) implements ClusterNotice {}

  /** A connection here is behind its session's log (an event stored elsewhere): it catches up. */
  record Behind(String connectionId, String sessionId) implements ClusterNotice {}
}
