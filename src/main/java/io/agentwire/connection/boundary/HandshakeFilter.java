package io.agentwire.connection.boundary;

import io.agentwire.connection.control.ConnectionSettings;
import io.agentwire.http.boundary.HttpErrors;
import io.agentwire.security.control.OriginPolicy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpUpgradeHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;

/**
 * Refuses, as plain HTTP before the upgrade, only what must never become a WebSocket (PROTOCOL
 * section 2): a handshake RFC 6455 section 4.2.1 says to refuse (not GET, not HTTP/1.1, a {@code
 * Sec-WebSocket-Key} that is not 16 bytes in base64, a version other than 13), a foreign {@code
 * Origin} (403) and subprotocols without {@code agentwire.v1} (400). Tyrus 2.2 upgrades all of
 * those, and accepts any origin and any subprotocol list (PAYARA.md, issue 12).
 *
 * <p>What it lets through is upgraded with {@link GuardedUpgradeHandler}: the client's frames are
 * checked at their headers before Tyrus buffers them.
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

  @Inject ConnectionSettings settings;

  /** Times out the close of a connection whose client does not answer a close frame. */
  @Resource ManagedScheduledExecutorService timer;

  private OriginPolicy origins;

  @Override
  public void init() {
    origins = OriginPolicy.of(allowedOrigins.orElse(""));
  }

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!refusedHandshake(request, response)) {
      checked(request, response, chain);
    }
  }

  /**
   * RFC 6455 section 4.2.1: what a server must find in an opening handshake, or answer with an HTTP
   * error and not upgrade. True when it refused.
   */
  private static boolean refusedHandshake(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (!hasToken(request, "Upgrade", "websocket")) {
      response.setHeader("Upgrade", "websocket"); // RFC 7231 section 6.5.15: 426 names it
      refuse(response, 426, "upgrade_required", "this is a WebSocket endpoint: upgrade with GET");
      return true;
    }
    if (!"GET".equals(request.getMethod())) {
      response.setHeader("Allow", "GET");
      refuse(response, 405, "bad_handshake", "a WebSocket opening handshake is a GET");
      return true;
    }
    if ("HTTP/1.0".equals(request.getProtocol()) || "HTTP/0.9".equals(request.getProtocol())) {
      refuse(response, 400, "bad_handshake", "a WebSocket opening handshake needs HTTP/1.1");
      return true;
    }
    if (!hasToken(request, "Connection", "upgrade")) {
      refuse(response, 400, "bad_handshake", "Connection: Upgrade is missing");
      return true;
    }
    List<String> keys = Collections.list(request.getHeaders("Sec-WebSocket-Key"));
    if (keys.size() != 1 || !isNonce(keys.get(0))) {
      refuse(response, 400, "bad_handshake", "Sec-WebSocket-Key must be 16 bytes in base64");
      return true;
    }
    List<String> versions = Collections.list(request.getHeaders("Sec-WebSocket-Version"));
    if (versions.size() != 1 || !"13".equals(versions.get(0).trim())) {
      response.setHeader("Sec-WebSocket-Version", "13");
      refuse(response, 426, "bad_handshake", "Sec-WebSocket-Version must be 13");
      return true;
    }
    return false;
  }

  /** Whether a header of {@code name} lists {@code token} (comma-separated, any case). */
  private static boolean hasToken(HttpServletRequest request, String name, String token) {
    return Collections.list(request.getHeaders(name)).stream()
        .flatMap(h -> Arrays.stream(h.split(",")))
        .anyMatch(t -> t.trim().toLowerCase(Locale.ROOT).equals(token));
  }

  private static boolean isNonce(String key) {
    String k = key.trim();
    if (k.length() != 24) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(k).length == 16;
    } catch (IllegalArgumentException notBase64) {
      return false;
    }
  }

  private void checked(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
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
    try {
      chain.doFilter(new Guarded(request, settings.maxMessageBytes(), timer), response);
    } catch (IOException gone) {
      // The client left during the upgrade (a reset before the 101 was flushed: Tyrus's
      // flushBuffer fails with "Connection is closed"). No connection was made and nothing is
      // lost; it is the client's doing, so it is no error for the log or the error page.
      LOG.log(Level.DEBUG, "client left during the upgrade: {0}", gone.getMessage());
    }
  }

  private static final System.Logger LOG = System.getLogger("agentwire.connection");

  /** The request as Tyrus sees it: its upgrade handler is {@link GuardedUpgradeHandler}. */
  private static final class Guarded extends HttpServletRequestWrapper {
    private final long maxMessageBytes;
    private final ScheduledExecutorService timer;

    Guarded(HttpServletRequest request, long maxMessageBytes, ScheduledExecutorService timer) {
      super(request);
      this.maxMessageBytes = maxMessageBytes;
      this.timer = timer;
    }

    @Override
    public <T extends HttpUpgradeHandler> T upgrade(Class<T> handlerClass)
        throws IOException, ServletException {
      if (handlerClass != TyrusHttpUpgradeHandler.class) {
        return super.upgrade(handlerClass);
      }
      GuardedUpgradeHandler handler = super.upgrade(GuardedUpgradeHandler.class);
      handler.maxMessageBytes(maxMessageBytes);
      handler.timer(timer);
      return handlerClass.cast(handler);
    }
  }

  private static void refuse(HttpServletResponse response, int status, String code, String message)
      throws IOException {
    HttpErrors.write(response, status, code, message);
  }
}
