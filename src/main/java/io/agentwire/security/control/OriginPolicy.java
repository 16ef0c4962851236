package io.agentwire.security.control;

import java.util.List;
import java.util.Locale;

/**
 * Which browser origins may open a WebSocket (against cross-site WebSocket hijacking): exact
 * origins such as {@code https://app.example.com}, or {@code scheme://host:*} for any port of a
 * host. A request without {@code Origin} does not come from a browser page and passes.
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

  private static boolean isPort(String s) {
    return !s.isEmpty() && s.length() <= 5 && s.chars().allMatch(Character::isDigit);
  }
}
