package io.agentwire.connection.control;

import io.agentwire.connection.entity.ClientMessage.Ack;
import io.agentwire.connection.entity.ClientMessage.Cancel;
import io.agentwire.connection.entity.ClientMessage.Ping;
import io.agentwire.connection.entity.ClientMessage.Run;
import io.agentwire.connection.entity.Decoded;
import io.agentwire.connection.entity.Decoded.Message;
import io.agentwire.connection.entity.Decoded.Refused;
import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.protocol.entity.Excerpt;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonLocation;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one text frame into a {@code ClientMessage} or the {@code error} to answer with (PROTOCOL
 * section 4). {@link #decode} never throws: a client cannot reach a 1011 through what it sends.
 * Made by {@code Connections} itself, not a CDI bean: one call per message, with no client proxy.
 */
public class MessageDecoder {

  public static final ErrorCode BAD_REQUEST = ErrorCode.BAD_REQUEST;
  public static final ErrorCode UNKNOWN_TYPE = ErrorCode.UNKNOWN_TYPE;
  static final int MAX_DEPTH = 32;
  static final int MAX_RUN_ID_LENGTH = 128;

  /** Refusals quote at most this many UTF-8 bytes of client text, so no error echoes a frame. */
  static final int EXCERPT_BYTES = 40;

  private static final System.Logger LOG = System.getLogger(MessageDecoder.class.getName());
  private static final String RUN_ID_RULE =
      "runId must be a string of 1 to " + MAX_RUN_ID_LENGTH + " characters";

  /**
   * Parsson's own limits, by name so that no Parsson class is needed (org.eclipse.parsson.api
   * .JsonConfig; present in 1.1.5, which Payara 6.2025.10 ships, and in 1.1.7). Parsson counts the
   * document itself as a level and throws when a push reaches the limit
   * (JsonParserImpl.Stack.push), so limit 33 admits exactly 32 nested objects and arrays. The
   * standard JSON-P 2.1 {@code jakarta.json.JsonConfig.KEY_STRATEGY} would not do here: Parsson
   * honours it in reader and builder factories only, never in createParserFactory
   * (JsonProviderImpl), which we need for the trailing-content check.
   */
  private static final Map<String, Object> PARSSON_LIMITS =
      Map.of(
          "org.eclipse.parsson.maxDepth",
          MAX_DEPTH + 1,
          "org.eclipse.parsson.rejectDuplicateKeys",
          true);

  private final JsonParserFactory parsers;

  public MessageDecoder() {
    parsers = Json.createParserFactory(PARSSON_LIMITS);
    // Another JSON-P implementation would silently ignore those names: fail loudly instead of
    // accepting what the protocol refuses.
    String tooDeep =
        "{\"type\":\"ping\",\"id\":" + "[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH) + "}";
    if (read("{\"type\":\"ping\",\"type\":\"ping\"}") instanceof Message
        || read(tooDeep) instanceof Message) {
      throw new IllegalStateException(
          "the JSON-P implementation ignores "
              + PARSSON_LIMITS.keySet()
              + "; agentwire needs Parsson");
    }
  }

  /**
   * A message, or a refusal with code {@code bad_request} or {@code unknown_type}; never throws.
   */
  public Decoded decode(String text) {
    return read(text);
  }

  // Private so that the constructor's self-check cannot reach an override of decode.
  private Decoded read(String text) {
    if (text == null) {
      return badRequest(null, "a message is one JSON object");
    }
    try (JsonParser parser = parsers.createParser(new StringReader(text))) {
      if (parser.next() != JsonParser.Event.START_OBJECT) {
        return badRequest(null, "a message is one JSON object");
      }
      JsonObject object = parser.getObject();
      // Parsson answers trailing content with a JsonParsingException here (JsonParserImpl.hasNext),
      // JsonReader.readObject would not notice it at all.
      if (parser.hasNext()) {
        return badRequest(null, "a message is one JSON object, with nothing after it");
      }
      // Without a \\u escape every key and string is a piece of the text itself, so one scan of
      // the text answers for all of them, with no walk over the parsed tree.
      if (!(text.indexOf("\\u") < 0 ? wellFormedText(text) : wellFormed(object))) {
        return badRequest(null, "a string holds half a surrogate pair");
      }
      return interpret(object);
    } catch (JsonParsingException e) {
      return refusedBy(e, "not valid JSON" + where(e.getLocation(), text));
    } catch (NumberFormatException | ArithmeticException e) {
      // Parsson makes every non-int, non-long number a BigDecimal while parsing; an exponent beyond
      // int range throws NumberFormatException, not JsonException (JsonTokenizer.getBigDecimal).
      return refusedBy(e, "a number does not fit");
    } catch (UnsupportedOperationException e) {
      // Parsson's maxBigDecimalLength: a number of more than 1100 characters (JsonTokenizer).
      return refusedBy(e, "a number is too long");
    } catch (RuntimeException e) {
      // Parsson reports a repeated key as IllegalStateException (JsonObjectBuilderImpl
      // .DuplicateStrategy.NONE) and too deep a nesting as a bare RuntimeException
      // (JsonParserImpl.Stack.push). Anything else lands here too, to keep "never throws".
      return refusedBy(e, "not acceptable JSON: " + excerpt(e.getMessage()));
    }
  }

  /**
   * Whether every key and string is well-formed UTF-16. JSON lets an escape name half a surrogate
   * pair (RFC 8259 section 8.2), but no text frame can carry it back: Tyrus's strict UTF-8 encoder
   * throws an Error on the sending thread (TextFrame.encode), so echoing it in a pong, a ref or an
   * event would break the connection.
   */
  private static boolean wellFormed(JsonValue value) {
    switch (value.getValueType()) {
      case STRING:
        return wellFormedText(((JsonString) value).getString());
      case OBJECT:
        for (Map.Entry<String, JsonValue> e : value.asJsonObject().entrySet()) {
          if (!wellFormedText(e.getKey()) || !wellFormed(e.getValue())) {
            return false;
          }
        }
        return true;
      case ARRAY:
        for (JsonValue v : value.asJsonArray()) {
          if (!wellFormed(v)) {
            return false;
          }
        }
        return true;
      default:
        return true;
    }
  }

  private static boolean wellFormedText(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static Decoded interpret(JsonObject message) {
    if (!(message.get("type") instanceof JsonString type)) {
      return badRequest(null, "type must be a string");
    }
    return switch (type.getString()) {
      case "run" -> run(message);
      case "cancel" ->
          runId(message.get("runId"))
              .<Decoded>map(runId -> new Message(new Cancel(runId)))
              .orElseGet(() -> badRequest("cancel", RUN_ID_RULE));
      case "ack" -> ack(message);
      case "ping" -> new Message(new Ping(Optional.ofNullable(message.get("id"))));
      default -> new Refused(UNKNOWN_TYPE, "unknown type", excerpt(type.getString()));
    };
  }

  private static Decoded run(JsonObject message) {
    if (!(message.get("agent") instanceof JsonString agent)) {
      return badRequest("run", "agent must be a string");
    }
    if (!message.containsKey("input")) {
      return badRequest("run", "input is required (any JSON value, null included)");
    }
    JsonValue given = message.get("runId");
    Optional<String> runId = runId(given);
    if (given != null && runId.isEmpty()) {
      return badRequest("run", RUN_ID_RULE + ", or absent");
    }
    return new Message(new Run(agent.getString(), message.get("input"), runId));
  }

  private static Optional<String> runId(JsonValue value) {
    return value instanceof JsonString id
            && !id.getString().isEmpty()
            && id.getString().length() <= MAX_RUN_ID_LENGTH
        ? Optional.of(id.getString())
        : Optional.empty();
  }

  private static Decoded ack(JsonObject message) {
    String rule = "seq must be an integer from 0 to " + Long.MAX_VALUE;
    // isIntegral first: it only looks at the scale, whereas arithmetic on 1E999999999 would not be
    // cheap. JSON-P calls 1.0 and 1E2 not integral; so do we.
    if (!(message.get("seq") instanceof JsonNumber seq) || !seq.isIntegral()) {
      return badRequest("ack", rule);
    }
    try {
      long value = seq.longValueExact();
      return value < 0 ? badRequest("ack", rule) : new Message(new Ack(value));
    } catch (ArithmeticException tooBig) {
      return badRequest("ack", rule);
    }
  }

  private static Refused badRequest(String type, String why) {
    return new Refused(BAD_REQUEST, why, type);
  }

  private static Refused refusedBy(RuntimeException e, String why) {
    LOG.log(Level.DEBUG, () -> "refused a client message: " + why, e);
    return badRequest(null, why);
  }

  // Parsson reports -1 for an empty document and can overshoot at end of input.
  private static String where(JsonLocation at, String text) {
    return at == null || at.getStreamOffset() < 0 || at.getStreamOffset() > text.length()
        ? ""
        : " at offset " + at.getStreamOffset();
  }

  /** An excerpt of client text for a refusal: see {@link Excerpt#of}. */
  static String excerpt(String text) {
    return Excerpt.of(text, EXCERPT_BYTES);
  }
}
