package io.agentwire.session.entity;

import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.spi.JsonProvider;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

/**
 * A session: the subject it belongs to and its event sequence (G6). Events are numbered and handed
 * to the sink under one lock, so the order of {@code seq} is the order of sending.
 */
public final class StreamSession {

  /**
   * Looked up once: {@code Json.createObjectBuilder()} repeats the ServiceLoader lookup on every
   * call (jakartaee/jsonp-api#154), and events are built under this session's lock.
   */
  private static final JsonProvider JSON = JsonProvider.provider();

  private final String id;
  private final String subject;
  private final String resumeToken;
  private final int maxEvents;
  private final ArrayDeque<JsonObject> unacknowledged = new ArrayDeque<>();
  private long lastSeq;
  private Consumer<String> sink = text -> {};

  public StreamSession(String id, String subject, String resumeToken, int maxEvents) {
    this.id = id;
    this.subject = subject;
    this.resumeToken = resumeToken;
    this.maxEvents = maxEvents;
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
    return lastSeq;
  }

  /** Where events go: the outbound queue of the connection that holds the session now. */
  public synchronized void sink(Consumer<String> sink) {
    this.sink = sink;
  }

  /**
   * Numbers an event, keeps it until acknowledged (at most {@code maxEvents}, oldest forgotten
   * first) and sends it.
   */
  public synchronized JsonObject emit(String type, String runId, JsonObjectBuilder data) {
    JsonObject event =
        JSON.createObjectBuilder()
            .add("type", type)
            .add("seq", ++lastSeq)
            .add("runId", runId)
            .add("ts", Instant.now().toString())
            .add("data", data)
            .build();
    unacknowledged.addLast(event);
    while (unacknowledged.size() > maxEvents) {
      unacknowledged.removeFirst();
    }
    sink.accept(event.toString());
    return event;
  }

  /** The client holds every event up to {@code seq}: forget them. */
  public synchronized void acknowledge(long seq) {
    while (!unacknowledged.isEmpty()
        && unacknowledged.peekFirst().getJsonNumber("seq").longValue() <= seq) {
      unacknowledged.removeFirst();
    }
  }

  public synchronized List<JsonObject> unacknowledged() {
    return List.copyOf(unacknowledged);
  }
}
