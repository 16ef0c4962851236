package io.agentwire.session.control;

import io.agentwire.session.entity.LocalEventLog;
import io.agentwire.session.entity.SessionEnded;
import io.agentwire.session.entity.StreamSession;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The local directory of sessions: this instance's sessions, by id, each with a local event log
 * bounded by {@code agentwire.session.max-events} and {@code agentwire.session.max-bytes}.
 */
@ApplicationScoped
public class Sessions implements SessionDirectory {

  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject
  @ConfigProperty(name = "agentwire.session.max-events", defaultValue = "1000")
  int maxEvents;

  @Inject
  @ConfigProperty(name = "agentwire.session.max-bytes", defaultValue = "4194304")
  long maxBytes;

  @Inject Event<SessionEnded> ended;

  private final Map<String, StreamSession> byId = new ConcurrentHashMap<>();

  /** A new session for a subject, with an unguessable resume token. */
  @Override
  public StreamSession open(String subject) {
    byte[] secret = new byte[24];
    RANDOM.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    StreamSession session =
        new StreamSession(
            UUID.randomUUID().toString(), subject, token, new LocalEventLog(maxEvents, maxBytes));
    byId.put(session.id(), session);
    return session;
  }

  @Override
  public java.util.Optional<StreamSession> find(String id) {
    return java.util.Optional.ofNullable(byId.get(id));
  }

  /** Sessions held by this instance. */
  @Override
  public int count() {
    return byId.size();
  }

  /** Forgets a session whose connection closed; retention and resumption come later. */
  @Override
  public void release(StreamSession session) {
    if (byId.remove(session.id()) != null) {
      ended.fire(new SessionEnded(session.id()));
    }
  }
}
