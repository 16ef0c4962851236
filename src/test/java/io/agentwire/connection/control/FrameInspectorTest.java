package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameInspectorTest {

  private static final int MAX = 64 * 1024;

  /** A client frame: masked unless told, with the length in the shortest form. */
  static byte[] frame(int b0, boolean masked, byte[] payload) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(b0);
    int mask = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(mask | payload.length);
    } else if (payload.length <= 0xFFFF) {
      f.write(mask | 126);
      f.write(payload.length >> 8);
      f.write(payload.length);
    } else {
      f.write(mask | 127);
      long n = payload.length;
      for (int k = 7; k >= 0; k--) {
        f.write((int) (n >> (8 * k)));
      }
    }
    byte[] key = {0x11, 0x22, 0x33, 0x44};
    if (masked) {
      f.writeBytes(key);
    }
    for (int i = 0; i < payload.length; i++) {
      f.write(masked ? payload[i] ^ key[i % 4] : payload[i]);
    }
    return f.toByteArray();
  }

  static byte[] text(String s) {
    return frame(0x81, true, s.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      all.writeBytes(p);
    }
    return all.toByteArray();
  }

  /** Feeds {@code in} in pieces of {@code step} bytes; what passed. */
  static byte[] passed(FrameInspector inspector, byte[] in, int step) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i += step) {
      int n = Math.min(step, in.length - i);
      byte[] buffer = new byte[FrameInspector.maxOutput(n)];
      int m = inspector.feed(in, i, n, buffer, 0);
      out.write(buffer, 0, m);
    }
    return out.toByteArray();
  }

  static byte[] close(int code, String reason) {
    byte[] out = new byte[200];
    int n = FrameInspector.closeFrame(new FrameInspector.Fault(code, reason), out, 0);
    return Arrays.copyOf(out, n);
  }

  @ParameterizedTest(name = "in pieces of {0} bytes")
  @ValueSource(ints = {1, 2, 3, 7, 14, 1000, 1 << 20})
  void goodFramesPassUnchangedHoweverTheyArrive(int step) {
    byte[] in =
        concat(
            text("{\"type\":\"ping\"}"),
            text("x".repeat(300)),
            frame(0x89, true, new byte[0]), // ping
            frame(0x01, true, "half".getBytes(StandardCharsets.UTF_8)), // first fragment
            frame(0x8A, true, "p".getBytes(StandardCharsets.UTF_8)), // pong between fragments
            frame(0x80, true, "done".getBytes(StandardCharsets.UTF_8)), // last fragment
            frame(0x81, true, new byte[70_000 - 70_000 + MAX]), // exactly the limit
            frame(0x88, true, new byte[] {0x03, (byte) 0xE8})); // close 1000
    FrameInspector inspector = new FrameInspector(MAX);

    assertThat(passed(inspector, in, step)).isEqualTo(in);
    assertThat(inspector.fault()).isEmpty();
  }

  @Test
  void anUnmaskedFrameEndsWithAClose1002AndNothingOfItPasses() {
    byte[] good = text("{\"type\":\"ping\"}");
    byte[] in = concat(good, frame(0x81, false, "{\"type\":\"ping\"}".getBytes()), good);
    FrameInspector inspector = new FrameInspector(MAX);

    assertThat(passed(inspector, in, 5))
        .isEqualTo(concat(good, close(1002, "protocol error: unmasked frame")));
    assertThat(inspector.fault())
        .contains(new FrameInspector.Fault(1002, "protocol error: unmasked frame"));
  }

  @Test
  void aFrameDeclaringMoreThanTheLimitEndsWith1009BeforeAnyOfItsPayload() {
    byte[] header = Arrays.copyOf(frame(0x81, true, new byte[5 * 1024 * 1024]), 14);
    FrameInspector inspector = new FrameInspector(MAX);

    assertThat(passed(inspector, header, 1)).isEqualTo(close(1009, "message too big"));
  }

  @Test
  void aLengthOfTwoToTheSixtyFourIsAProtocolErrorAndTwoToTheSixtyThreeTooBig() {
    byte[] huge = {(byte) 0x81, (byte) 0xFF, -1, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4};
    assertThat(passed(new FrameInspector(MAX), huge, 14))
        .isEqualTo(close(1002, "protocol error: frame length"));
    byte[] big = {(byte) 0x81, (byte) 0xFF, 0x7F, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4};
    assertThat(passed(new FrameInspector(MAX), big, 14)).isEqualTo(close(1009, "message too big"));
  }

  @Test
  void fragmentsCountTogetherAgainstTheLimit() {
    byte[] first = frame(0x01, true, new byte[40_000]);
    byte[] second = frame(0x80, true, new byte[40_000]);
    FrameInspector inspector = new FrameInspector(MAX);

    assertThat(passed(inspector, concat(first, second), 4096))
        .isEqualTo(concat(first, close(1009, "message too big")));
  }

  @Test
  void malformedFramesAreProtocolErrors() {
    assertThat(passed(new FrameInspector(MAX), frame(0xC1, true, new byte[1]), 64))
        .isEqualTo(close(1002, "protocol error: reserved bits set"));
    assertThat(passed(new FrameInspector(MAX), frame(0x83, true, new byte[1]), 64))
        .isEqualTo(close(1002, "protocol error: unknown opcode"));
    assertThat(passed(new FrameInspector(MAX), frame(0x89, true, new byte[126]), 64))
        .isEqualTo(close(1002, "protocol error: control frame"));
    assertThat(passed(new FrameInspector(MAX), frame(0x09, true, new byte[1]), 64))
        .as("a fragmented ping")
        .isEqualTo(close(1002, "protocol error: control frame"));
    assertThat(passed(new FrameInspector(MAX), frame(0x80, true, new byte[1]), 64))
        .isEqualTo(close(1002, "protocol error: no message to continue"));
    byte[] first = frame(0x01, true, new byte[1]);
    assertThat(passed(new FrameInspector(MAX), concat(first, text("new")), 64))
        .isEqualTo(concat(first, close(1002, "protocol error: fragment expected")));
  }

  @Test
  void afterAFaultNothingMorePasses() {
    FrameInspector inspector = new FrameInspector(MAX);
    passed(inspector, frame(0x81, false, new byte[3]), 64);
    byte[] more = text("more");
    assertThat(passed(inspector, more, 64)).isEmpty();
  }

  @Test
  void theCloseFrameIsAMaskedCloseWithTheCodeAndReason() {
    byte[] c = close(1009, "message too big");
    assertThat(c[0] & 0xFF).isEqualTo(0x88);
    assertThat(c[1] & 0x80).as("masked, as a client's frame must be").isEqualTo(0x80);
    assertThat(c[1] & 0x7F).isEqualTo(2 + "message too big".length());
    assertThat(((c[6] & 0xFF) << 8) | (c[7] & 0xFF)).isEqualTo(1009);
    assertThat(new String(c, 8, c.length - 8, StandardCharsets.UTF_8)).isEqualTo("message too big");
  }

  @ParameterizedTest(name = "in pieces of {0} bytes")
  @ValueSource(ints = {1, 2, 5, 64})
  void knowsWhenTheClientsOwnCloseFrameHasPassedWhole(int step) {
    byte[] closing = frame(0x88, true, new byte[] {0x03, (byte) 0xE8, 'b', 'y', 'e'});
    FrameInspector inspector = new FrameInspector(MAX);
    passed(inspector, concat(text("{\"type\":\"ping\"}"), frame(0x89, true, new byte[0])), step);
    assertThat(inspector.closeReceived()).as("text and ping").isFalse();

    passed(inspector, Arrays.copyOf(closing, closing.length - 1), step);
    assertThat(inspector.closeReceived()).as("all but its last byte").isFalse();
    passed(inspector, Arrays.copyOfRange(closing, closing.length - 1, closing.length), step);
    assertThat(inspector.closeReceived()).isTrue();

    FrameInspector empty = new FrameInspector(MAX);
    passed(empty, frame(0x88, true, new byte[0]), step);
    assertThat(empty.closeReceived()).as("a close frame without a body").isTrue();

    FrameInspector faulted = new FrameInspector(MAX);
    passed(faulted, frame(0x81, false, new byte[3]), step);
    assertThat(faulted.closeReceived())
        .as("the close written for a fault is not the client's")
        .isFalse();
  }

  @Test
  void afterAMessageOverTheLimitItFollowsTheFramesForTheClientsClose() {
    byte[] closing = frame(0x88, true, new byte[] {0x03, (byte) 0xE8});
    byte[] big = frame(0x81, true, new byte[MAX + 1]);
    FrameInspector inspector = new FrameInspector(MAX);
    byte[] head = Arrays.copyOf(big, 100);
    assertThat(passed(inspector, head, 100)).isEqualTo(close(1009, "message too big"));

    byte[] rest = concat(Arrays.copyOfRange(big, 100, big.length), text("after"), closing);
    for (int at = 0; at < rest.length - 1; at += 777) {
      inspector.follow(rest, at, Math.min(777, rest.length - 1 - at));
    }
    assertThat(inspector.closeReceived()).as("all but the close's last byte").isFalse();
    inspector.follow(rest, rest.length - 1, 1);
    assertThat(inspector.closeReceived()).isTrue();

    FrameInspector broken = new FrameInspector(MAX);
    passed(broken, frame(0x81, false, new byte[3]), 64);
    broken.follow(closing, 0, closing.length);
    assertThat(broken.closeReceived())
        .as("after a protocol error frames are not followed")
        .isFalse();
  }
}
