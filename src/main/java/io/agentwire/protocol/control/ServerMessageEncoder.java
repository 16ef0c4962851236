package io.agentwire.protocol.control;

import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.protocol.entity.ServerMessage.Event;
import io.agentwire.protocol.entity.ServerMessage.Limits;
import io.agentwire.protocol.entity.ServerMessage.Pong;
import io.agentwire.protocol.entity.ServerMessage.Ready;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;
import java.io.StringWriter;
import java.util.Map;
import java.util.Objects;

/**
 * Turns every server message into its text frame, streaming through a generator factory looked up
 * once: the static {@code Json.create*} repeat the ServiceLoader lookup on every call
 * (jakartaee/jsonp-api#154), a third of the ping/pong samples in a JFR profile. Thread-safe: a
 * {@code JsonGeneratorFactory} may be shared (its Javadoc), and each call has its own generator.
 */
public final class ServerMessageEncoder {

  private static final String PONG_PREFIX = "{\"type\":\"pong\",\"id\":";

  private final JsonProvider provider;
  private final JsonGeneratorFactory generators;

  /** Encodes with the JSON-P provider found once, now. */
  public ServerMessageEncoder() {
    this(JsonProvider.provider());
  }

  public ServerMessageEncoder(JsonProvider provider) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.generators = provider.createGeneratorFactory(Map.of());
  }

  /** The provider, for building event {@code data} without the static {@code Json} lookups. */
  public JsonProvider provider() {
    return provider;
  }

  /** The message as one JSON object, {@code type} first, fields in PROTOCOL section 4 order. */
  public String encode(ServerMessage message) {
    if (message instanceof Pong pong) {
      JsonValue id = pong.id().orElse(JsonValue.NULL);
      if (id.getValueType() != JsonValue.ValueType.OBJECT
          && id.getValueType() != JsonValue.ValueType.ARRAY) {
        // The hot path of ping/pong: a scalar id is its own JSON text (JsonValue#toString), so no
        // writer and generator are made for the commonest message there is.
        return PONG_PREFIX + id + "}";
      }
    }
    StringWriter text = new StringWriter(128);
    try (JsonGenerator json = generators.createGenerator(text)) {
      json.writeStartObject();
      switch (message) {
        case Ready ready -> ready(json, ready);
        case Pong pong -> json.write("type", "pong").write("id", pong.id().orElse(JsonValue.NULL));
        case ServerMessage.Error error -> error(json, error);
        case Event event -> event(json, event);
        case ServerMessage.Draining draining ->
            json.write("type", "draining").write("reconnectAfterMs", draining.reconnectAfterMs());
      }
      json.writeEnd();
    }
    return text.toString();
  }

  private static void ready(JsonGenerator json, Ready ready) {
    Limits limits = ready.limits();
    json.write("type", "ready")
        .write("connectionId", ready.connectionId())
        .write("sessionId", ready.sessionId())
        .write("resumeToken", ready.resumeToken())
        .write("resumed", ready.resumed())
        .write("lastSeq", ready.lastSeq())
        .write("heartbeatMs", ready.heartbeatMs())
        .writeStartObject("limits")
        .write("maxMessageBytes", limits.maxMessageBytes())
        .write("holdMaxMessages", limits.holdMaxMessages())
        .write("runsPerConnection", limits.runsPerConnection())
        .write("messagesPerSecond", limits.messagesPerSecond())
        .writeEnd()
        .writeStartArray("degraded");
    ready.degraded().forEach(json::write);
    json.writeEnd().writeStartArray("runs");
    for (ServerMessage.RunInFlight run : ready.runs()) {
      json.writeStartObject()
          .write("runId", run.runId())
          .write("agent", run.agent())
          .write("startedSeq", run.startedSeq())
          .writeEnd();
    }
    json.writeEnd();
    ready.resumeFailure().ifPresent(failure -> json.write("resumeFailure", failure));
    ready
        .gap()
        .ifPresent(
            gap ->
                json.writeStartObject("gap")
                    .write("from", gap.from())
                    .write("to", gap.to())
                    .writeEnd());
  }

  private static void error(JsonGenerator json, ServerMessage.Error error) {
    json.write("type", "error")
        .write("code", error.code().wireName())
        .write("message", error.message());
    error.ref().ifPresent(ref -> json.write("ref", ref));
  }

  private static void event(JsonGenerator json, Event event) {
    json.write("type", event.type().wireName())
        .write("seq", event.seq())
        .write("runId", event.runId())
        .write("ts", event.ts().toString())
        .write("data", event.data());
  }
}
