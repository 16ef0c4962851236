package io.agentwire.session.control;

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

/** The sessions of this instance, by id. Resumption (PROTOCOL section 6) builds on this. */
@ApplicationScoped
public class Sessions {

  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject
  @ConfigProperty(name = "agentwire.session.max-events", defaultValue = "1000")
  int maxEvents;

  @Inject Event<SessionEnded> ended;

  private final Map<String, StreamSession> byId = new ConcurrentHashMap<>();

  /** A new session for a subject, with an unguessable resume token. */
  public StreamSession open(String subject) {
    byte[] secret = new byte[24];
    RANDOM.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    StreamSession session =
        new StreamSession(UUID.randomUUID().toString(), subject, token, maxEvents);
    byId.put(session.id(), session);
    return session;
  }

  /** Sessions held by this instance. */
  public int count() {
    return byId.size();
  }

  /** Forgets a session whose connection closed; retention and resumption come later. */
  public void release(StreamSession session) {
    if (byId.remove(session.id()) != null) {
      ended.fire(new SessionEnded(session.id()));
    }
  }
}
