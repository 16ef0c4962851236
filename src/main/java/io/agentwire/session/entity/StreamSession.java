package io.agentwire.session.entity;

import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.protocol.entity.ServerMessage.Gap;
import io.agentwire.protocol.entity.ServerMessage.RunInFlight;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * A session (PROTOCOL section 6): the subject it belongs to, its event log, its runs in flight and
 * the connection that holds it now, if any. It outlives its connections: events emitted while no
 * connection holds it stay in the log, bounded by the log, until a resume replays them or the
 * session expires.
 *
 * <p>Events are numbered, stored (G7: stored before sent) and handed to the holder under one lock,
 * so the order of {@code seq} is the order of sending (G6). A holder that attaches by resuming
 * starts behind: it pulls the events after its {@code lastSeq} from the log in chunks, as its
 * outbound queue has room, and turns live once it has caught up. Live events emitted meanwhile are
 * stored, not pushed, and reach it by the same pull, so a replay and live events never interleave
 * or repeat.
 */
public final class StreamSession {

  /**
   * Looked up once: {@code Json.createObjectBuilder()} repeats the ServiceLoader lookup on every
   * call (jakartaee/jsonp-api#154), and events are built under this session's lock.
   */
  private static final JsonProvider JSON = JsonProvider.provider();

  /** The one encoder of server messages, holding its generator factory. */
  private static final ServerMessageEncoder ENCODER = new ServerMessageEncoder(JSON);

  /** How many events one pull takes from the log before it asks the holder for room again. */
  static final int REPLAY_CHUNK = 64;

  /** Whoever takes the session's events: the connection that holds it now. */
  public interface Subscriber {

    /**
     * The holder's id (its connection id): {@link #detach} and {@link #pull} name it, so that a
     * superseded connection changes nothing of the session any more.
     */
    String holder();

    /** A live event, sent at once; the holder's outbound queue applies its own bound (4408). */
    void send(String text);

    /**
     * A replayed event if there is room for it now. False leaves it unsent; the subscriber then
     * calls {@link #pull} once there is room again.
     */
    boolean offer(String text);

    /**
     * The log forgot events this holder had not received yet (its bounds trimmed them while the
     * replay waited for room): the holder must resume, and its {@code ready} names the gap.
     */
    void fellBehind();
  }

  /**
   * What {@code ready} tells a connection that attached: the session's highest seq, its runs in
   * flight, the seqs lost to a resume, and the holder it took the session from, if any (closed with
   * 4509).
   */
  public record Attached(
      long lastSeq, List<RunInFlight> runs, Optional<Gap> gap, Optional<String> superseded) {
    public Attached {
      runs = List.copyOf(runs);
    }
  }

  /** A session's figures for diagnostics: values only, never the resume token. */
  public record Info(
      String id,
      String subject,
      Optional<String> holder,
      long lastSeq,
      int heldEvents,
      long heldBytes,
      List<RunInFlight> runs) {}

  /** The holder and how far it has been served. */
  private static final class Holding {
    final Subscriber subscriber;
    long cursor;
    boolean live;
    boolean stalled;

    Holding(Subscriber subscriber, long cursor, boolean live) {
      this.subscriber = subscriber;
      this.cursor = cursor;
      this.live = live;
    }
  }

  private final String id;
  private final String subject;
  private volatile String resumeToken;
  private final EventLog log;
  private final SessionShare share;
  private Holding holding;

  /** When the last holder left ({@link System#nanoTime()} scale); the creation time until held. */
  private long detachedAtNanos;

  /** When a resume was granted and no holder has attached since, 0 when none. */
  private long claimedAtNanos;

  /** A session with a local log bounded by count only (tests). */
  public StreamSession(String id, String subject, String resumeToken, int maxEvents) {
    this(id, subject, resumeToken, new LocalEventLog(maxEvents, Long.MAX_VALUE), System.nanoTime());
  }

  /** A session only this instance holds. */
  public StreamSession(String id, String subject, String resumeToken, EventLog log, long nowNanos) {
    this(id, subject, resumeToken, log, new LocalShare(), nowNanos);
  }

  /**
   * A session whose log and share may live elsewhere (the data grid): {@code resumeToken} is empty
   * for a session this instance only serves (its token went to another instance's client).
   */
  public StreamSession(
      String id,
      String subject,
      String resumeToken,
      EventLog log,
      SessionShare share,
      long nowNanos) {
    this.id = Objects.requireNonNull(id, "id");
    this.subject = Objects.requireNonNull(subject, "subject");
    this.resumeToken = Objects.requireNonNull(resumeToken, "resumeToken");
    this.log = Objects.requireNonNull(log, "log");
    this.share = Objects.requireNonNull(share, "share");
    this.detachedAtNanos = nowNanos;
  }

  public String id() {
    return id;
  }

  public String subject() {
    return subject;
  }

  /** The secret a client resumes with: for {@code ready} only, never for a log or diagnostics. */
  public String resumeToken() {
    return resumeToken;
  }

  /**
   * A view this instance made without the token (to end the runs of a lost member) learns it when a
   * client resumes the session here; a token it has is never replaced.
   */
  public synchronized void learnToken(String token) {
    if (resumeToken.isEmpty()) {
      resumeToken = Objects.requireNonNull(token, "token");
    }
  }

  public synchronized long lastSeq() {
    return log.lastSeq();
  }

  /**
   * A holder that takes every event from now on, live (tests and tools; connections {@link
   * #attach}).
   */
  public synchronized void sink(Consumer<String> sink) {
    Subscriber live =
        new Subscriber() {
          @Override
          public String holder() {
            return "sink";
          }

          @Override
          public void send(String text) {
            sink.accept(text);
          }

          @Override
          public boolean offer(String text) {
            sink.accept(text);
            return true;
          }

          @Override
          public void fellBehind() {}
        };
    holding = new Holding(live, log.lastSeq(), true);
    claimedAtNanos = 0;
  }

  /**
   * {@code subscriber} holds the session from now on; the previous holder, if any, gets nothing
   * more. With {@code afterSeq} (a resume) it is served every event held after that seq by {@link
   * #pull}, which the caller calls once its {@code ready} is on its way; without, it starts at the
   * session's current end. A {@code lastSeq} beyond the session's end counts as its end.
   */
  public synchronized Attached attach(Subscriber subscriber, OptionalLong afterSeq) {
    long last = log.lastSeq();
    long cursor = last;
    Optional<Gap> gap = Optional.empty();
    if (afterSeq.isPresent()) {
      cursor = Math.min(Math.max(0, afterSeq.getAsLong()), last);
      if (log.after(cursor, 1) instanceof Replay.Gap lost) {
        gap = Optional.of(new Gap(lost.from(), lost.to()));
        cursor = lost.to();
      }
    }
    Optional<String> previous =
        Optional.ofNullable(holding).map(h -> h.subscriber.holder()).filter(h -> !h.isEmpty());
    Optional<String> elsewhere = share.hold(subscriber.holder());
    holding = new Holding(subscriber, cursor, false);
    claimedAtNanos = 0;
    return new Attached(last, share.runs(), gap, previous.isPresent() ? previous : elsewhere);
  }

  /**
   * Serves the holder named {@code holder} the events after its cursor, chunk by chunk, while it
   * has room; once it has caught up it is live. Nothing when {@code holder} no longer holds the
   * session.
   *
   * @return how many events were replayed by this call
   */
  public synchronized int pull(String holder) {
    Holding h = holding;
    if (h == null || h.live || h.stalled || !h.subscriber.holder().equals(holder)) {
      return 0;
    }
    int replayed = 0;
    while (true) {
      Replay next = log.after(h.cursor, REPLAY_CHUNK);
      if (next instanceof Replay.Gap) {
        h.stalled = true;
        h.subscriber.fellBehind();
        return replayed;
      }
      if (next.events().isEmpty()) {
        h.live = true;
        return replayed;
      }
      for (StoredEvent event : next.events()) {
        if (!h.subscriber.offer(event.text())) {
          return replayed;
        }
        h.cursor = event.seq();
        replayed++;
      }
    }
  }

  /**
   * The holder {@code holder} is gone (its connection closed): the session is detached from {@code
   * nowNanos} on, and its retention runs. Nothing when another holder took it meanwhile.
   *
   * @return whether the session was detached by this call
   */
  public synchronized boolean detach(String holder, long nowNanos) {
    if (holding == null || !holding.subscriber.holder().equals(holder)) {
      return false;
    }
    holding = null;
    detachedAtNanos = nowNanos;
    share.release(holder);
    return true;
  }

  /**
   * The holder {@code holder} lost the session to a connection on another instance: it gets nothing
   * more, and the session's record already names its new holder, so nothing is released.
   *
   * @return whether {@code holder} held the session here
   */
  public synchronized boolean supersededElsewhere(String holder) {
    if (holding == null || !holding.subscriber.holder().equals(holder)) {
      return false;
    }
    holding = null;
    return true;
  }

  /**
   * An event another instance stored (a run there, or its end by the member that noticed its
   * instance was lost), for a live holder here: sent when it is the next one, dropped when the
   * holder has it already; when events are missing between (the cluster's bus does not promise
   * order across instances, nor delivery), the holder catches up from the log by {@link #pull}.
   *
   * @return whether the holder is behind and must pull
   */
  public synchronized boolean deliver(long seq, String text) {
    Holding h = holding;
    if (h == null || !h.live || h.stalled || seq <= h.cursor) {
      return false;
    }
    if (seq == h.cursor + 1) {
      h.cursor = seq;
      h.subscriber.send(text);
      return false;
    }
    h.live = false;
    return true;
  }

  /**
   * Whether a live holder here has not been sent every event the log holds (a message of the
   * cluster's bus was lost); it then catches up by {@link #pull}. Answers false when nobody holds
   * the session here.
   */
  public synchronized boolean behind() {
    Holding h = holding;
    if (h == null || !h.live || h.stalled || log.lastSeq() <= h.cursor) {
      return false;
    }
    h.live = false;
    return true;
  }

  /** The connection that holds the session here, if any. */
  public synchronized Optional<String> holder() {
    return Optional.ofNullable(holding).map(h -> h.subscriber.holder());
  }

  /**
   * A resume was granted: the retention clock of a detached session starts again, so that it cannot
   * expire between the grant and the connection's {@code ready}.
   */
  public synchronized void claimed(long nowNanos) {
    if (holding == null) {
      detachedAtNanos = nowNanos;
    }
    claimedAtNanos = nowNanos;
  }

  /**
   * Whether a resume was granted less than {@code windowNanos} before {@code nowNanos} and its
   * connection has not attached yet: such a session is about to be held, and no cap takes it.
   */
  public synchronized boolean claimedWithin(long nowNanos, long windowNanos) {
    return holding == null && claimedAtNanos != 0 && nowNanos - claimedAtNanos < windowNanos;
  }

  /** Whether a connection holds the session now. */
  public synchronized boolean attached() {
    return holding != null;
  }

  /** Since when no connection holds it, if none does. */
  public synchronized OptionalLong detachedSinceNanos() {
    return holding == null ? OptionalLong.of(detachedAtNanos) : OptionalLong.empty();
  }

  /**
   * Numbers an event, stores it in the log (which applies its bounds), then sends it to a live
   * holder; returns its seq. The session's runs in flight follow the events: {@code agent_started}
   * adds a run, a terminal event removes it, in the same step as the event's seq.
   */
  public synchronized long emit(EventType type, String runId, JsonObjectBuilder data) {
    JsonObject body = data.build();
    Instant ts = Instant.now();
    StoredEvent stored =
        log.append(
            assigned -> ENCODER.encode(new ServerMessage.Event(assigned, type, runId, ts, body)));
    long seq = stored.seq();
    if (type == EventType.AGENT_STARTED) {
      share.runStarted(new RunInFlight(runId, body.getString("agent", ""), seq));
    } else if (type.isTerminal()) {
      share.runEnded(runId);
    }
    Holding h = holding;
    if (h != null && h.live && !h.stalled) {
      h.cursor = seq;
      h.subscriber.send(stored.text());
    }
    share.stored(stored);
    return seq;
  }

  /** The client holds every event up to {@code seq}: forget them. */
  public synchronized void acknowledge(long seq) {
    log.acknowledge(Math.max(0, seq));
  }

  /** The session's runs in flight, oldest first. */
  public synchronized List<RunInFlight> runs() {
    return share.runs();
  }

  public synchronized Info info() {
    return new Info(
        id,
        subject,
        Optional.ofNullable(holding).map(h -> h.subscriber.holder()),
        log.lastSeq(),
        log.size(),
        log.bytes(),
        share.runs());
  }

  /** What the log holds after {@code seq}: for the member that ends a lost instance's runs. */
  public synchronized Replay history(long seq) {
    return log.after(seq);
  }

  /** The events the log holds, parsed: for diagnostics and tests, not for the hot path. */
  public synchronized List<JsonObject> unacknowledged() {
    return log.after(0).events().stream()
        .map(e -> JSON.createReader(new StringReader(e.text())).readObject())
        .toList();
  }
}
