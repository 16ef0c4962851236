package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AssemblerTest {

  @Test
  void assemblesFragmentsIntoOneMessage() {
    Assembler a = new Assembler(100);
    assertThat(a.append("{\"type\":", false)).isInstanceOf(Assembler.Result.Partial.class);
    assertThat(a.append("\"ping\"}", true))
        .isEqualTo(new Assembler.Result.Complete("{\"type\":\"ping\"}"));
    assertThat(a.append("next", true)).isEqualTo(new Assembler.Result.Complete("next"));
  }

  @Test
  void acceptsExactlyTheLimitAndRefusesOneByteMore() {
    assertThat(new Assembler(4).append("abcd", true))
        .isEqualTo(new Assembler.Result.Complete("abcd"));
    assertThat(new Assembler(4).append("abcde", true)).isInstanceOf(Assembler.Result.TooBig.class);
  }

  @Test
  void countsBytesNotCharsAcrossFragments() {
    Assembler a = new Assembler(5);
    assertThat(a.append("éé", false)).isInstanceOf(Assembler.Result.Partial.class); // 4 bytes
    assertThat(a.append("é", true)).isInstanceOf(Assembler.Result.TooBig.class); // 6 bytes
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "ascii", "é", "✓", "😀", "mixed é ✓ 😀 text"})
  void measuresUtf8LikeTheEncoder(String s) {
    assertThat(Assembler.utf8Length(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
  }
}
