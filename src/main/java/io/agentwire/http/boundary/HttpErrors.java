package io.agentwire.http.boundary;

import jakarta.json.Json;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/** The JSON error bodies of every HTTP answer (PROTOCOL section 2). */
public final class HttpErrors {

  private static final System.Logger LOG = System.getLogger("agentwire.http");

  private static final Map<Integer, String> CODES =
      Map.ofEntries(
          Map.entry(400, "bad_request"),
          Map.entry(401, "unauthorized"),
          Map.entry(403, "forbidden"),
          Map.entry(404, "not_found"),
          Map.entry(405, "method_not_allowed"),
          Map.entry(406, "not_acceptable"),
          Map.entry(408, "request_timeout"),
          Map.entry(411, "length_required"),
          Map.entry(413, "too_large"),
          Map.entry(414, "uri_too_long"),
          Map.entry(415, "unsupported_media_type"),
          Map.entry(426, "upgrade_required"),
          Map.entry(431, "headers_too_large"),
          Map.entry(500, "internal_error"),
          Map.entry(501, "not_implemented"),
          Map.entry(503, "unavailable"));

  private static final Map<Integer, String> MESSAGES =
      Map.ofEntries(
          Map.entry(400, "bad request"),
          Map.entry(401, "a valid bearer token is required"),
          Map.entry(403, "not allowed"),
          Map.entry(404, "no such resource"),
          Map.entry(405, "method not allowed here"),
          Map.entry(406, "only application/json is produced"),
          Map.entry(413, "request too large"),
          Map.entry(415, "send application/json"),
          Map.entry(503, "unavailable"));

  private HttpErrors() {}

  /** The error code of an HTTP status: {@code not_found}, ..., or {@code http_<status>}. */
  public static String code(int status) {
    return CODES.getOrDefault(status, "http_" + status);
  }

  /** A short message for a status, for answers that have no more specific one. */
  public static String message(int status) {
    return MESSAGES.getOrDefault(status, code(status).replace('_', ' '));
  }

  /** {@code {"error": code, "message": message}}. */
  public static String body(String code, String message) {
    return Json.createObjectBuilder().add("error", code).add("message", message).build().toString();
  }

  /**
   * A defect: logged once, at error, with a new incident id beside its stack trace; the answer
   * names the id only (the exception's message may hold what a client must not see).
   *
   * @return the body of the answer
   */
  public static String incident(String where, Throwable defect) {
    String incident = UUID.randomUUID().toString().substring(0, 8);
    LOG.log(Level.ERROR, "incident " + incident + " on " + where, defect);
    return body("internal_error", "internal error, incident " + incident);
  }

  /** A JSON error answer of a REST resource or filter. */
  public static jakarta.ws.rs.core.Response response(int status, String code, String message) {
    return jakarta.ws.rs.core.Response.status(status)
        .type(jakarta.ws.rs.core.MediaType.APPLICATION_JSON)
        .entity(body(code, message))
        .build();
  }

  /** Writes a JSON error answer on a servlet response that is not committed. */
  public static void write(HttpServletResponse response, int status, String code, String message)
      throws IOException {
    write(response, status, body(code, message));
  }

  /** Writes a JSON {@code body} as the answer, replacing anything buffered but not yet sent. */
  static void write(HttpServletResponse response, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
