package io.agentwire.connection.control;

import io.agentwire.connection.entity.ConnectionState;
import io.agentwire.connection.entity.ConnectionSummary;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live connections of this instance and their lookups (by transport, id, subject, session),
 * per-subject admission, and a bounded memory of recently closed connections as immutable
 * summaries. A connection is reachable from here only while it is open.
 */
public final class ConnectionRegistry {

  /** How many closed connections diagnostics can still describe. */
  static final int RECENTLY_CLOSED = 256;

  private final int connectionsPerSubject;
  private final Map<String, Connection> bySocket = new ConcurrentHashMap<>();
  private final Map<String, Connection> byId = new ConcurrentHashMap<>();
  private final Map<String, Set<Connection>> bySubject = new ConcurrentHashMap<>();
  private final Map<String, Connection> bySession = new ConcurrentHashMap<>();
  private final Map<String, ConnectionSummary> closed =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ConnectionSummary> eldest) {
          return size() > RECENTLY_CLOSED;
        }
      };

  public ConnectionRegistry(int connectionsPerSubject) {
    this.connectionsPerSubject = connectionsPerSubject;
  }

  void opened(Connection c) {
    bySocket.put(c.socket().id(), c);
  }

  /**
   * Admits an authenticated connection under the per-subject limit; false means the caller closes
   * it with 4429 before it holds anything. Atomic per subject, also against {@link #closed}.
   */
  boolean admit(Connection c, String subject) {
    boolean[] admitted = {false};
    bySubject.compute(
        subject,
        (k, mine) -> {
          Set<Connection> set = mine == null ? new HashSet<>() : mine;
          if (set.size() < connectionsPerSubject) {
            admitted[0] = set.add(c);
          }
          return set.isEmpty() ? null : set;
        });
    if (admitted[0] && (c.state().isEnding() || !bySocket.containsKey(c.socket().id()))) {
      // Closed while being admitted: closed() may have looked for it before it was added.
      forgetSubject(c, subject);
      return false;
    }
    return admitted[0];
  }

  /** Publishes a connection under its assigned id. */
  void identified(Connection c, String id) {
    byId.put(id, c);
  }

  /** The connection that holds a session now. */
  void holds(Connection c, String sessionId) {
    bySession.put(sessionId, c);
  }

  /**
   * Forgets a connection whose transport closed, keeping only its summary; empty if it was not
   * registered (closed twice).
   */
  Optional<Connection> closed(String socketId) {
    Connection c = bySocket.remove(socketId);
    if (c == null) {
      return Optional.empty();
    }
    c.id().ifPresent(id -> byId.remove(id, c));
    c.subject().ifPresent(subject -> forgetSubject(c, subject));
    c.session().ifPresent(s -> bySession.remove(s.id(), c));
    return Optional.of(c);
  }

  /** Keeps what diagnostics may ask about a closed connection. */
  void remember(ConnectionSummary summary) {
    synchronized (closed) {
      closed.put(summary.connectionId(), summary);
    }
  }

  private void forgetSubject(Connection c, String subject) {
    bySubject.computeIfPresent(
        subject,
        (k, set) -> {
          set.remove(c);
          return set.isEmpty() ? null : set;
        });
  }

  public Optional<Connection> bySocket(String socketId) {
    return Optional.ofNullable(bySocket.get(socketId));
  }

  public Optional<Connection> byId(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  public Optional<Connection> bySession(String sessionId) {
    return Optional.ofNullable(bySession.get(sessionId));
  }

  /** A recently closed connection's summary. */
  public Optional<ConnectionSummary> recentlyClosed(String id) {
    synchronized (closed) {
      return Optional.ofNullable(closed.get(id));
    }
  }

  public Collection<Connection> live() {
    return List.copyOf(bySocket.values());
  }

  /** Live connections, for sweeping without copying. */
  Iterable<Connection> each() {
    return bySocket.values();
  }

  public int size() {
    return bySocket.size();
  }

  /** How many connections of a subject are admitted. */
  int admitted(String subject) {
    Set<Connection> set = bySubject.get(subject);
    return set == null ? 0 : set.size();
  }

  public Map<ConnectionState, Long> countByState() {
    Map<ConnectionState, Long> counts = new EnumMap<>(ConnectionState.class);
    for (ConnectionState s : ConnectionState.values()) {
      counts.put(s, 0L);
    }
    for (Connection c : bySocket.values()) {
      counts.merge(c.state(), 1L, Long::sum);
    }
    return counts;
  }
}
