package io.agentwire.connection.control;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.agentwire.connection.entity.ClientMessage.Ack;
import io.agentwire.connection.entity.ClientMessage.Cancel;
import io.agentwire.connection.entity.ClientMessage.Ping;
import io.agentwire.connection.entity.ClientMessage.Run;
import io.agentwire.connection.entity.Decoded;
import io.agentwire.connection.entity.Decoded.Message;
import io.agentwire.connection.entity.Decoded.Refused;

/**
 * Whatever a client sends, the decoder answers a valid message or a refusal, and never throws.
 * Plain {@code mvn test} runs the inputs under {@code MessageDecoderFuzzTestInputs}; {@code
 * JAZZER_FUZZ=1 mvn test -Dtest=MessageDecoderFuzzTest} fuzzes for {@code maxDuration}.
 */
class MessageDecoderFuzzTest {

  private static final MessageDecoder DECODER = new MessageDecoder();

  // Bytes, decoded as UTF-8, because a text frame is UTF-8 on the wire (RFC 6455 section 5.6).
  @FuzzTest(maxDuration = "5m")
  @DictionaryEntries({
    "\"type\"",
    "\"run\"",
    "\"cancel\"",
    "\"ack\"",
    "\"ping\"",
    "\"agent\"",
    "\"input\"",
    "\"runId\"",
    "\"seq\"",
    "\"id\"",
    "1E999999999",
    "9223372036854775807",
    "-0",
    "null",
    "\\u"
  })
  void answersMessageOrRefusalAndNeverThrows(byte[] frame) {
    Decoded decoded = DECODER.decode(new String(frame, UTF_8));

    // Java 17 has no pattern switch; anything but a Ping falls to the cast in the last branch.
    if (decoded instanceof Refused refused) {
      assertThat(refused.code()).isIn(MessageDecoder.BAD_REQUEST, MessageDecoder.UNKNOWN_TYPE);
      assertThat(refused.message()).isNotBlank().hasSizeLessThan(120);
      assertSendable(refused.message());
      if (refused.ref() != null) {
        assertThat(refused.ref().getBytes(UTF_8).length)
            .isLessThanOrEqualTo(MessageDecoder.EXCERPT_BYTES);
        assertSendable(refused.ref());
      }
    } else if (decoded instanceof Message message && message.message() instanceof Run run) {
      assertThat(run.agent()).isNotNull();
      assertThat(run.input()).isNotNull();
      run.runId().ifPresent(id -> assertThat(id).isNotEmpty().hasSizeLessThanOrEqualTo(128));
      assertSendable(run.agent());
      run.runId().ifPresent(MessageDecoderFuzzTest::assertSendable);
    } else if (decoded instanceof Message message && message.message() instanceof Cancel cancel) {
      assertThat(cancel.runId()).isNotEmpty().hasSizeLessThanOrEqualTo(128);
      assertSendable(cancel.runId());
    } else if (decoded instanceof Message message && message.message() instanceof Ack ack) {
      assertThat(ack.seq()).isNotNegative();
    } else {
      assertThat(((Ping) ((Message) decoded).message()).id()).isNotNull();
    }
  }

  /** Echoed to the client: Tyrus throws an Error for half a surrogate pair (TextFrame.encode). */
  private static void assertSendable(String text) {
    assertThat(UTF_8.newEncoder().canEncode(text)).as("well-formed: %s", text).isTrue();
  }
}
