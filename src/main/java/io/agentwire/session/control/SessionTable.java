package io.agentwire.session.control;

import io.agentwire.session.entity.LocalEventLog;
import io.agentwire.session.entity.ResumeOutcome;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * This instance's sessions and every resume decision of PROTOCOL section 6, without a container:
 * the clock, the randomness and what happens to an expired session are given.
 *
 * <p>A resume token is 24 random bytes (192 bits) from the given generator ({@code SecureRandom} in
 * the container), URL-safe base64. The table keeps only its SHA-256: the lookup compares digests,
 * so how long a lookup takes tells nothing about the token, and a heap dump holds no token that
 * resumes anything. The token is bound to the JWT subject the session was opened for: another
 * subject's resume is refused as {@code forbidden}, whatever the token.
 *
 * <p>A session nobody holds expires {@code retention} after its last holder left; its runs are then
 * cancelled (by {@code expired}) and it is forgotten, but its token's digest is remembered for one
 * more retention period, so that a late resume is told {@code expired} rather than {@code unknown}.
 * At most {@link #REMEMBERED_EXPIRED} are remembered, the oldest forgotten first. A subject holds
 * at most {@code maxPerSubject} sessions: the oldest detached one makes room for a new one.
 */
public final class SessionTable {

  static final int REMEMBERED_EXPIRED = 100_000;

  private final int maxEvents;
  private final long maxBytes;
  private final long retentionNanos;
  private final LongSupplier nanos;
  private final Random random;
  private final Consumer<StreamSession> expired;
  private final Map<String, StreamSession> byId = new ConcurrentHashMap<>();
  private final Map<String, StreamSession> byToken = new ConcurrentHashMap<>();

  /** Each subject's sessions, oldest first; under this table's lock. */
  private final Map<String, java.util.LinkedHashSet<StreamSession>> bySubject =
      new java.util.HashMap<>();

  private final int maxPerSubject;

  /** Digests of expired sessions' tokens, with when they expired; insertion order is age. */
  private final LinkedHashMap<String, Long> expiredTokens = new LinkedHashMap<>();

  /**
   * @param maxEvents {@code agentwire.session.max-events}
   * @param maxBytes {@code agentwire.session.max-bytes}
   * @param retention {@code agentwire.session.retention}
   * @param nanos a monotonic clock ({@link System#nanoTime} in the container)
   * @param random where resume tokens come from ({@code SecureRandom} in the container)
   * @param expired told each session that expired, after it was forgotten
   */
  public SessionTable(
      int maxEvents,
      long maxBytes,
      Duration retention,
      LongSupplier nanos,
      Random random,
      Consumer<StreamSession> expired) {
    this(maxEvents, maxBytes, retention, Integer.MAX_VALUE, nanos, random, expired);
  }

  /**
   * @param maxPerSubject {@code agentwire.session.max-per-subject}: a subject that opens one more
   *     session than this loses its oldest detached one at once (it expires, its runs cancelled),
   *     so that one client that reconnects without resuming cannot fill the heap with sessions for
   *     a whole retention period
   */
  public SessionTable(
      int maxEvents,
      long maxBytes,
      Duration retention,
      int maxPerSubject,
      LongSupplier nanos,
      Random random,
      Consumer<StreamSession> expired) {
    if (maxPerSubject < 1) {
      throw new IllegalArgumentException("maxPerSubject must be at least 1: " + maxPerSubject);
    }
    this.maxPerSubject = maxPerSubject;
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative: " + retention);
    }
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.retentionNanos = retention.toNanos();
    this.nanos = nanos;
    this.random = random;
    this.expired = expired;
  }

  /** A new session for {@code subject}. */
  public StreamSession open(String subject) {
    byte[] secret = new byte[24];
    random.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    StreamSession session =
        new StreamSession(
            UUID.randomUUID().toString(),
            subject,
            token,
            new LocalEventLog(maxEvents, maxBytes),
            nanos.getAsLong());
    String key = digest(token);
    // Its connection is still setting up: like a granted resume, no cap takes it before it holds.
    session.claimed(nanos.getAsLong());
    List<StreamSession> gone = new ArrayList<>();
    synchronized (this) {
      byToken.put(key, session);
      byId.put(session.id(), session);
      java.util.LinkedHashSet<StreamSession> mine =
          bySubject.computeIfAbsent(subject, k -> new java.util.LinkedHashSet<>());
      mine.add(session);
      trim(mine, session, nanos.getAsLong(), gone);
    }
    announce(gone);
    return session;
  }

  /**
   * The session a connection gets: the one its token names if that is the subject's and has not
   * expired (its retention clock starts again, so that it cannot expire before the connection
   * attaches), otherwise a new one with the reason.
   */
  public SessionGrant request(SessionRequest request) {
    if (request.resumeToken().isEmpty()) {
      return SessionGrant.fresh(open(request.subject()));
    }
    String key = digest(request.resumeToken().get());
    long now = nanos.getAsLong();
    ResumeOutcome refusal;
    List<StreamSession> gone = new ArrayList<>(1);
    synchronized (this) {
      StreamSession found = byToken.get(key);
      if (found == null) {
        refusal = expiredTokens.containsKey(key) ? ResumeOutcome.EXPIRED : ResumeOutcome.UNKNOWN;
      } else if (!found.subject().equals(request.subject())) {
        refusal = ResumeOutcome.FORBIDDEN;
      } else if (pastRetention(found, now)) {
        expire(found, key, now, gone);
        refusal = ResumeOutcome.EXPIRED;
      } else {
        found.claimed(now);
        return new SessionGrant(found, OptionalLong.of(request.lastSeq()), Optional.empty());
      }
    }
    announce(gone);
    return new SessionGrant(open(request.subject()), OptionalLong.empty(), Optional.of(refusal));
  }

  /**
   * Expires every session past its retention and forgets the tokens of those that expired more than
   * a retention period ago; returns how many sessions expired.
   */
  public int sweep() {
    long now = nanos.getAsLong();
    List<StreamSession> gone = new ArrayList<>();
    synchronized (this) {
      List<StreamSession> due = new ArrayList<>();
      for (StreamSession s : byId.values()) {
        if (pastRetention(s, now)) {
          due.add(s);
        }
      }
      for (StreamSession s : due) {
        expire(s, digest(s.resumeToken()), now, gone);
      }
      for (java.util.LinkedHashSet<StreamSession> mine : List.copyOf(bySubject.values())) {
        trim(mine, null, now, gone);
      }
      Iterator<Map.Entry<String, Long>> oldest = expiredTokens.entrySet().iterator();
      while (oldest.hasNext()) {
        Map.Entry<String, Long> e = oldest.next();
        if (now - e.getValue() < retentionNanos) {
          break; // the rest expired later
        }
        oldest.remove();
      }
    }
    announce(gone);
    return gone.size();
  }

  /**
   * Expires a subject's longest-detached sessions while it holds more than its cap (under this
   * table's lock). Never {@code keep} (the session being opened), never an attached one (bounded by
   * the connections a subject may hold; the sweep trims again once they are detached), never one
   * whose resume was granted within the last retention (its connection is about to attach).
   */
  private void trim(
      java.util.LinkedHashSet<StreamSession> mine,
      StreamSession keep,
      long now,
      List<StreamSession> gone) {
    if (mine.size() <= maxPerSubject) {
      return;
    }
    // Longest detached first; a session whose resume was just granted is about to be held.
    List<StreamSession> detached =
        mine.stream()
            .filter(s -> s != keep && s.detachedSinceNanos().isPresent())
            .filter(s -> !s.claimedWithin(now, retentionNanos))
            .sorted(
                java.util.Comparator.comparingLong(
                    (StreamSession s) -> s.detachedSinceNanos().getAsLong()))
            .toList();
    int over = mine.size() - maxPerSubject;
    for (int i = 0; i < over && i < detached.size(); i++) {
      StreamSession oldest = detached.get(i);
      expire(oldest, digest(oldest.resumeToken()), now, gone);
    }
  }

  /** Tells whoever cancels runs about the sessions that expired, outside this table's lock. */
  private void announce(List<StreamSession> gone) {
    gone.forEach(expired);
  }

  private boolean pastRetention(StreamSession s, long now) {
    OptionalLong since = s.detachedSinceNanos();
    return since.isPresent() && now - since.getAsLong() >= retentionNanos;
  }

  /** Under this table's lock; {@code gone} collects it for {@link #announce}. */
  private void expire(StreamSession s, String key, long now, List<StreamSession> gone) {
    if (byId.remove(s.id(), s)) {
      byToken.remove(key, s);
      java.util.LinkedHashSet<StreamSession> mine = bySubject.get(s.subject());
      if (mine != null && mine.remove(s) && mine.isEmpty()) {
        bySubject.remove(s.subject());
      }
      expiredTokens.put(key, now);
      if (expiredTokens.size() > REMEMBERED_EXPIRED) {
        Iterator<String> eldest = expiredTokens.keySet().iterator();
        eldest.next();
        eldest.remove();
      }
      gone.add(s);
    }
  }

  public Optional<StreamSession> find(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  public Collection<StreamSession> all() {
    return List.copyOf(byId.values());
  }

  public int size() {
    return byId.size();
  }

  /** Sessions a connection holds now. */
  public long attached() {
    return byId.values().stream().filter(StreamSession::attached).count();
  }

  /** How many expired sessions' tokens are still remembered. */
  synchronized int rememberedExpired() {
    return expiredTokens.size();
  }

  /** The SHA-256 of a token, base64: what the table keys sessions by. */
  static String digest(String token) {
    try {
      return Base64.getEncoder()
          .encodeToString(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
