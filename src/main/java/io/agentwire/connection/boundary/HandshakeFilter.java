package io.agentwire.connection.boundary;

import io.agentwire.security.control.OriginPolicy;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses, as plain HTTP before the upgrade, only what must never become a WebSocket (PROTOCOL
 * section 2): a foreign {@code Origin} (403) and subprotocols without {@code agentwire.v1} (400).
 * Tyrus itself accepts any origin and any subprotocol list (PAYARA.md).
 */
@WebFilter(urlPatterns = "/ws", asyncSupported = true)
public class HandshakeFilter extends HttpFilter {

  // Optional: an empty value counts as missing in MicroProfile Config, and empty is a valid
  // setting here (no browser origin at all).
  @Inject
  @ConfigProperty(name = "agentwire.security.allowed-origins")
  java.util.Optional<String> allowedOrigins;

  // A page served by this server itself (the console at /) may connect: README, "Origins".
  @Inject
  @ConfigProperty(name = "agentwire.security.allow-same-origin", defaultValue = "true")
  boolean allowSameOrigin;

  private OriginPolicy origins;

  @Override
  public void init() {
    origins = OriginPolicy.of(allowedOrigins.orElse(""));
  }

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    var originHeaders = Collections.list(request.getHeaders("Origin"));
    // RFC 6454 section 7.3: a user agent sends at most one Origin header. Two of them come from
    // no browser, and checking only the first would let the second through to code that reads it.
    if (originHeaders.size() > 1) {
      refuse(response, 403, "forbidden_origin", "more than one Origin header");
      return;
    }
    String origin = originHeaders.isEmpty() ? null : originHeaders.get(0);
    if (!origins.allows(origin, request.getHeader("Host"), allowSameOrigin)) {
      refuse(response, 403, "forbidden_origin", "origin not allowed");
      return;
    }
    var offered =
        Collections.list(request.getHeaders("Sec-WebSocket-Protocol")).stream()
            .flatMap(h -> Arrays.stream(h.split(",")))
            .map(String::trim)
            .filter(p -> !p.isEmpty())
            .toList();
    if (!offered.isEmpty() && !offered.contains(HandshakePolicy.SUBPROTOCOL)) {
      refuse(
          response,
          400,
          "unsupported_subprotocol",
          "offer " + HandshakePolicy.SUBPROTOCOL + " or no subprotocol");
      return;
    }
    chain.doFilter(request, response);
  }

  private static void refuse(HttpServletResponse response, int status, String code, String message)
      throws IOException {
    byte[] body =
        Json.createObjectBuilder()
            .add("error", code)
            .add("message", message)
            .build()
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.setContentType("application/json");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
