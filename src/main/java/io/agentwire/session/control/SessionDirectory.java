package io.agentwire.session.control;

import io.agentwire.session.entity.StreamSession;
import java.util.Optional;

/**
 * Where sessions are found: local to this instance now ({@link Sessions}), in the data grid once
 * sessions are shared by a cluster. Resumption (PROTOCOL section 6) looks sessions up here.
 */
public interface SessionDirectory {

  /** A new session for a subject, with an unguessable resume token. */
  StreamSession open(String subject);

  Optional<StreamSession> find(String id);

  /** Ends a session: it is forgotten and what belongs to it (its runs) is released. */
  void release(StreamSession session);

  /** Sessions held. */
  int count();
}
