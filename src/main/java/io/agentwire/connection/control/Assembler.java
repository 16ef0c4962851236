package io.agentwire.connection.control;

/**
 * Assembles a text message from the fragments the container hands over, and stops at the size
 * limit. Receiving fragments (rather than letting Tyrus buffer whole messages) means an oversize
 * message never sits in memory and is closed with PROTOCOL's reason, not Tyrus's "Too big.".
 */
final class Assembler {

  /** What one fragment completed. */
  sealed interface Result {
    /** More fragments to come. */
    record Partial() implements Result {}

    /** A whole message. */
    record Complete(String text) implements Result {}

    /** The message passed the limit; whatever follows of it is discarded by the caller. */
    record TooBig() implements Result {}
  }

  private static final Result PARTIAL = new Result.Partial();

  private final int maxBytes;
  private final StringBuilder buffer = new StringBuilder();
  private long bytes;

  Assembler(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  synchronized Result append(String fragment, boolean last) {
    bytes += utf8Length(fragment);
    if (bytes > maxBytes) {
      buffer.setLength(0);
      bytes = 0;
      return new Result.TooBig();
    }
    if (last && buffer.length() == 0) {
      bytes = 0;
      return new Result.Complete(fragment);
    }
    buffer.append(fragment);
    if (!last) {
      return PARTIAL;
    }
    String text = buffer.toString();
    buffer.setLength(0);
    bytes = 0;
    return new Result.Complete(text);
  }

  /** UTF-8 length without encoding: 1, 2 or 3 bytes per char, 4 per surrogate pair. */
  static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
