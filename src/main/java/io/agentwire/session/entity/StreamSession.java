package io.agentwire.session.entity;

import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.protocol.entity.ServerMessage;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * A session: the subject it belongs to, its event log and the connection it streams to now. Events
 * are numbered, stored (G7: stored before sent) and handed to the sink under one lock, so the order
 * of {@code seq} is the order of sending (G6).
 */
public final class StreamSession {

  /**
   * Looked up once: {@code Json.createObjectBuilder()} repeats the ServiceLoader lookup on every
   * call (jakartaee/jsonp-api#154), and events are built under this session's lock.
   */
  private static final JsonProvider JSON = JsonProvider.provider();

  /** The one encoder of server messages, holding its generator factory. */
  private static final ServerMessageEncoder ENCODER = new ServerMessageEncoder(JSON);

  private final String id;
  private final String subject;
  private final String resumeToken;
  private final EventLog log;
  private Consumer<String> sink = text -> {};

  /** A session with a local log bounded by count only (tests). */
  public StreamSession(String id, String subject, String resumeToken, int maxEvents) {
    this(id, subject, resumeToken, new LocalEventLog(maxEvents, Long.MAX_VALUE));
  }

  public StreamSession(String id, String subject, String resumeToken, EventLog log) {
    this.id = id;
    this.subject = subject;
    this.resumeToken = resumeToken;
    this.log = log;
  }

  public String id() {
    return id;
  }

  public String subject() {
    return subject;
  }

  public String resumeToken() {
    return resumeToken;
  }

  public synchronized long lastSeq() {
    return log.lastSeq();
  }

  /**
   * Where events go: the outbound queue of the connection that holds the session now; a no-op while
   * no connection holds it (the events stay in the log).
   */
  public synchronized void sink(Consumer<String> sink) {
    this.sink = sink;
  }

  /**
   * Numbers an event, stores it in the log (which applies its bounds), then sends it; returns its
   * seq.
   */
  public synchronized long emit(EventType type, String runId, JsonObjectBuilder data) {
    JsonObject body = data.build();
    String[] text = new String[1];
    long seq =
        log.append(
            assigned -> {
              text[0] =
                  ENCODER.encode(
                      new ServerMessage.Event(assigned, type, runId, Instant.now(), body));
              return text[0];
            });
    sink.accept(text[0]);
    return seq;
  }

  /** The client holds every event up to {@code seq}: forget them. */
  public synchronized void acknowledge(long seq) {
    log.acknowledge(Math.max(0, seq));
  }

  /** The events after {@code seq}, or the gap (for resumption). */
  public synchronized Replay after(long seq) {
    return log.after(seq);
  }

  /** The events the log holds, parsed: for diagnostics and tests, not for the hot path. */
  public synchronized List<JsonObject> unacknowledged() {
    return log.after(0).events().stream()
        .map(e -> JSON.createReader(new StringReader(e.text())).readObject())
        .toList();
  }
}
