package io.agentwire.connection.control;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * The frame headers of the bytes a client sends (RFC 6455 section 5.2), checked before the
 * WebSocket implementation buffers a frame: Tyrus 2.2 accepts unmasked client frames (section 5.1
 * says the server MUST close) and buffers a declared frame up to its incoming buffer before it
 * looks at the length, then closes with 1011 (PAYARA.md, issue 12). Here every header is held back
 * until it is whole and checked; a header that breaks the rules is never passed on. Instead the
 * bytes end with a close frame of the fault, as if the client had sent it, so that the container
 * answers with that code and closes: 1002 for a protocol error, 1009 for a message over the limit.
 *
 * <p>Not thread-safe: one per connection, fed by the one thread that reads it.
 */
public final class FrameInspector {

  /** A client fault found in a frame header: the close code and reason to end with. */
  public record Fault(int code, String reason) {}

  private static final int MAX_HEADER = 14;
  private static final int OP_CONTINUATION = 0x0;
  private static final int OP_TEXT = 0x1;
  private static final int OP_BINARY = 0x2;
  private static final int OP_CLOSE = 0x8;
  private static final int OP_PING = 0x9;
  private static final int OP_PONG = 0xA;

  private final long maxMessageBytes;
  private final byte[] header = new byte[MAX_HEADER];
  private int headerHave;
  private long payloadLeft;
  private boolean inMessage;
  private long messageBytes;
  private Fault fault;
  private boolean inClose;
  private volatile boolean closeReceived;

  /** After a fault whose header was sound (1009): its frames can still be followed. */
  private boolean following;

  /**
   * @param maxMessageBytes the largest message, all its fragments together
   */
  public FrameInspector(long maxMessageBytes) {
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException(
          "maxMessageBytes must be positive, was " + maxMessageBytes);
    }
    this.maxMessageBytes = maxMessageBytes;
  }

  /** The largest number of bytes {@link #feed} may write for {@code length} bytes in. */
  public static int maxOutput(int length) {
    return length + MAX_HEADER + 2 + 4 + 125;
  }

  /**
   * Whether a whole close frame of the client's own has passed: the last frame a client sends (RFC
   * 6455 section 5.5.1). A close frame written for a {@link #fault} is not the client's. Safe to
   * read from any thread.
   */
  public boolean closeReceived() {
    return closeReceived;
  }

  /** The fault found, once there is one; after it nothing more passes. */
  public Optional<Fault> fault() {
    return Optional.ofNullable(fault);
  }

  /**
   * Takes {@code length} bytes the client sent and writes to {@code out} those that may pass: whole
   * checked headers and their payloads, and after a fault a close frame of it. {@code out} must
   * have room for {@link #maxOutput(int) maxOutput(length)} bytes from {@code outOffset}.
   *
   * @return how many bytes were written to {@code out}
   */
  public int feed(byte[] in, int offset, int length, byte[] out, int outOffset) {
    int i = offset;
    int end = offset + length;
    int o = outOffset;
    while (i < end && fault == null) {
      if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, end - i);
        System.arraycopy(in, i, out, o, n);
        i += n;
        o += n;
        payloadLeft -= n;
        if (payloadLeft == 0 && inClose) {
          closeReceived = true;
        }
        continue;
      }
      header[headerHave++] = in[i++];
      int need = headerLength();
      if (headerHave < need) {
        continue;
      }
      Fault f = check();
      if (f != null) {
        fault = f;
        o += closeFrame(f, out, o);
        if (f.code() == 1009) {
          // The header was sound, only too big: skip its payload and follow what comes after it,
          // so that the client's answer to the close is recognised (see #follow).
          payloadLeft = declaredLength();
          headerHave = 0;
          inClose = false;
          following = true;
          follow(in, i, end - i);
        }
        break;
      }
      System.arraycopy(header, 0, out, o, headerHave);
      o += headerHave;
      headerHave = 0;
      if (inClose && payloadLeft == 0) {
        closeReceived = true;
      }
    }
    return o - outOffset;
  }

  /**
   * After a fault: reads {@code length} more bytes of the client's without passing any, as far as
   * its frames can still be followed (after a message over the limit: its header was sound), to
   * tell when the client's close frame has come ({@link #closeReceived}). After a protocol error
   * the frames cannot be followed, and nothing is learnt.
   */
  public void follow(byte[] in, int offset, int length) {
    int i = offset;
    int end = offset + length;
    while (i < end && following) {
      if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, end - i);
        i += n;
        payloadLeft -= n;
        if (payloadLeft == 0 && inClose) {
          closeReceived = true;
        }
        continue;
      }
      header[headerHave++] = in[i++];
      if (headerHave < headerLength()) {
        continue;
      }
      long declared = declaredLength();
      if (declared < 0) {
        following = false;
        return;
      }
      inClose = (header[0] & 0x0F) == OP_CLOSE;
      payloadLeft = declared;
      headerHave = 0;
      if (inClose && payloadLeft == 0) {
        closeReceived = true;
      }
    }
  }

  /** The payload length the whole header in {@code header} declares; -1 if it is not one. */
  private long declaredLength() {
    long length = header[1] & 0x7F;
    if (length == 126) {
      return ((header[2] & 0xFFL) << 8) | (header[3] & 0xFFL);
    }
    if (length == 127) {
      if ((header[2] & 0x80) != 0) {
        return -1;
      }
      length = 0;
      for (int k = 2; k < 10; k++) {
        length = (length << 8) | (header[k] & 0xFFL);
      }
    }
    return length;
  }

  /** The length of the header being read, as far as its first bytes tell. */
  private int headerLength() {
    if (headerHave < 2) {
      return 2;
    }
    int code = header[1] & 0x7F;
    int lengthBytes = code == 126 ? 2 : code == 127 ? 8 : 0;
    boolean masked = (header[1] & 0x80) != 0;
    return 2 + lengthBytes + (masked ? 4 : 0);
  }

  /** Checks the whole header in {@code header}; sets up the payload to pass if it is good. */
  private Fault check() {
    int b0 = header[0] & 0xFF;
    int b1 = header[1] & 0xFF;
    boolean fin = (b0 & 0x80) != 0;
    int opcode = b0 & 0x0F;
    if ((b0 & 0x70) != 0) {
      return new Fault(1002, "protocol error: reserved bits set");
    }
    if ((b1 & 0x80) == 0) {
      return new Fault(1002, "protocol error: unmasked frame");
    }
    long length = declaredLength();
    if (length < 0) {
      return new Fault(1002, "protocol error: frame length");
    }
    switch (opcode) {
      case OP_CLOSE, OP_PING, OP_PONG -> {
        if (!fin || length > 125) {
          return new Fault(1002, "protocol error: control frame");
        }
      }
      case OP_TEXT, OP_BINARY -> {
        if (inMessage) {
          return new Fault(1002, "protocol error: fragment expected");
        }
        messageBytes = 0;
        inMessage = !fin;
        if (length > maxMessageBytes) {
          return new Fault(1009, "message too big");
        }
        messageBytes = length;
      }
      case OP_CONTINUATION -> {
        if (!inMessage) {
          return new Fault(1002, "protocol error: no message to continue");
        }
        messageBytes += length;
        if (messageBytes > maxMessageBytes) {
          return new Fault(1009, "message too big");
        }
        inMessage = !fin;
      }
      default -> {
        return new Fault(1002, "protocol error: unknown opcode");
      }
    }
    payloadLeft = length;
    inClose = opcode == OP_CLOSE;
    return null;
  }

  /** A masked close frame of {@code f} (masking key zero: the payload as is), written at o. */
  static int closeFrame(Fault f, byte[] out, int o) {
    byte[] reason = f.reason().getBytes(StandardCharsets.UTF_8);
    reason = Arrays.copyOf(reason, Math.min(reason.length, 123));
    int length = 2 + reason.length;
    out[o] = (byte) (0x80 | OP_CLOSE);
    out[o + 1] = (byte) (0x80 | length);
    out[o + 2] = 0;
    out[o + 3] = 0;
    out[o + 4] = 0;
    out[o + 5] = 0;
    out[o + 6] = (byte) (f.code() >> 8);
    out[o + 7] = (byte) f.code();
    System.arraycopy(reason, 0, out, o + 8, reason.length);
    return 8 + reason.length;
  }
}
