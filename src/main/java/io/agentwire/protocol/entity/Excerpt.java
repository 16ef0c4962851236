package io.agentwire.protocol.entity;

/**
 * The one way to cut text to a budget of UTF-8 bytes, so that what is cut still fits its frame and
 * can be encoded at all.
 *
 * <p>Counting is by code point: 1 to 3 bytes for a char of the Basic Multilingual Plane, 4 for a
 * surrogate pair, which is never split. Half a surrogate pair has no UTF-8 form (Tyrus's strict
 * encoder throws, {@code String.getBytes} writes {@code '?'}); it is replaced by U+FFFD and counted
 * as its 3 bytes, so the result is always well-formed and its UTF-8 encoding is exactly as long as
 * counted. {@code null} is read as empty text (exception messages may be null).
 */
public final class Excerpt {

  /** A close frame carries at most 123 bytes of reason (RFC 6455 section 5.5; PROTOCOL 4). */
  public static final int CLOSE_REASON_BYTES = 123;

  /** Ends a cut made by {@link #of}; its 3 bytes count within the limit. */
  public static final String MARKER = "…";

  private static final int MARKER_BYTES = 3;
  private static final char REPLACEMENT = '\uFFFD';

  private Excerpt() {}

  /** The longest prefix of {@code text} that fits {@code maxUtf8Bytes}, without a marker. */
  public static String fit(String text, int maxUtf8Bytes) {
    return cut(text, maxUtf8Bytes, "");
  }

  /**
   * {@code text} if it fits {@code maxUtf8Bytes}, else its longest prefix that fits together with a
   * trailing {@link #MARKER}. A limit under 3 bytes leaves no room for the marker: the text is then
   * cut as by {@link #fit}.
   */
  public static String of(String text, int maxUtf8Bytes) {
    return cut(text, maxUtf8Bytes, maxUtf8Bytes >= MARKER_BYTES ? MARKER : "");
  }

  private static String cut(String text, int maxBytes, String marker) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxUtf8Bytes must not be negative: " + maxBytes);
    }
    if (text == null) {
      return "";
    }
    long budget = maxBytes - (marker.isEmpty() ? 0 : MARKER_BYTES);
    long bytes = 0;
    int kept = 0; // chars of the longest prefix within budget
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      int chars = 1;
      int size;
      if (c < 0x80) {
        size = 1;
      } else if (c < 0x800) {
        size = 2;
      } else if (pairAt(text, i, text.length())) {
        size = 4;
        chars = 2;
      } else {
        size = 3; // lone surrogates included: they become U+FFFD
      }
      bytes += size;
      if (bytes > maxBytes) {
        return wellFormed(text, kept) + marker;
      }
      i += chars;
      if (bytes <= budget) {
        kept = i;
      }
    }
    return wellFormed(text, text.length());
  }

  /** The first {@code end} chars of {@code text}, each half surrogate pair replaced by U+FFFD. */
  private static String wellFormed(String text, int end) {
    int i = 0;
    while (i < end && !Character.isSurrogate(text.charAt(i))) {
      i++;
    }
    if (i == end) {
      return text.substring(0, end);
    }
    StringBuilder out = new StringBuilder(end).append(text, 0, i);
    while (i < end) {
      char c = text.charAt(i);
      if (pairAt(text, i, end)) {
        out.append(c).append(text.charAt(i + 1));
        i += 2;
      } else {
        out.append(Character.isSurrogate(c) ? REPLACEMENT : c);
        i++;
      }
    }
    return out.toString();
  }

  private static boolean pairAt(String text, int i, int end) {
    return Character.isHighSurrogate(text.charAt(i))
        && i + 1 < end
        && Character.isLowSurrogate(text.charAt(i + 1));
  }
}
