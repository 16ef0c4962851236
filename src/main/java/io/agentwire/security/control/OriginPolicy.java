package io.agentwire.security.control;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Which browser origins may open a WebSocket (against cross-site WebSocket hijacking): exact
 * origins such as {@code https://app.example.com}, or {@code scheme://host:*} for any port of a
 * host. A request without {@code Origin} does not come from a browser page and passes.
 *
 * <p>With {@link #allows(String, String)} a page served by this server itself (the console at
 * {@code /}) may also connect: its {@code Origin} names the host and port the request was sent to
 * ({@code Host}). That is safe here because the WebSocket carries no ambient credential: a page
 * must present a JWT of its own, so a foreign page that reaches us under our name (DNS rebinding)
 * still has no token to use.
 */
public final class OriginPolicy {

  private final List<String> allowed;

  public OriginPolicy(List<String> allowed) {
    this.allowed =
        allowed.stream()
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .map(s -> s.toLowerCase(Locale.ROOT))
            .toList();
  }

  public static OriginPolicy of(String commaList) {
    return new OriginPolicy(commaList == null ? List.of() : List.of(commaList.split(",")));
  }

  public boolean allows(String origin) {
    if (origin == null) {
      return true;
    }
    String o = origin.trim().toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.endsWith(":*")) {
        String host = a.substring(0, a.length() - 2);
        if (o.equals(host)
            || (o.startsWith(host + ":") && isPort(o.substring(host.length() + 1)))) {
          return true;
        }
      } else if (a.equals(o)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@link #allows(String)}, or, when {@code sameOrigin} is on, an {@code Origin} whose host and
   * port are those of the request's {@code Host} header (ports defaulted by the origin's scheme).
   */
  public boolean allows(String origin, String hostHeader, boolean sameOrigin) {
    if (allows(origin)) {
      return true;
    }
    return sameOrigin && origin != null && hostHeader != null && sameAuthority(origin, hostHeader);
  }

  private static boolean sameAuthority(String origin, String hostHeader) {
    URI o;
    URI h;
    try {
      o = new URI(origin.trim());
      h = new URI(o.getScheme() + "://" + hostHeader.trim());
    } catch (URISyntaxException e) {
      return false;
    }
    String scheme = o.getScheme() == null ? "" : o.getScheme().toLowerCase(Locale.ROOT);
    int defaultPort =
        switch (scheme) {
          case "http" -> 80;
          case "https" -> 443;
          default -> -1;
        };
    if (defaultPort < 0
        || o.getHost() == null
        || h.getHost() == null
        || o.getRawPath() != null && !o.getRawPath().isEmpty()
        || o.getRawUserInfo() != null
        || h.getRawUserInfo() != null
        || h.getRawPath() != null && !h.getRawPath().isEmpty()) {
      return false;
    }
    int oPort = o.getPort() < 0 ? defaultPort : o.getPort();
    int hPort = h.getPort() < 0 ? defaultPort : h.getPort();
    return o.getHost().equalsIgnoreCase(h.getHost()) && oPort == hPort;
  }

  private static boolean isPort(String s) {
    return !s.isEmpty() && s.length() <= 5 && s.chars().allMatch(Character::isDigit);
  }
}
