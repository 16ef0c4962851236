package io.agentwire.connection.entity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CloseCodeTest {

  @ParameterizedTest
  @CsvSource({
    "1000, 1000", "1001, 1001", "1002, 1002", "1006, 1006", "1009, 1009", "1011, 1011",
    "1012, 1012", "4401, 4401", "4429, 4429", "4509, 4509", "4100, other", "3000, other",
    "4999, other", "999, other", "1004, other", "65535, other", "0, other"
  })
  void namedCodesAreTheirOwnLabelTheRestOther(int code, String label) {
    assertThat(CloseCode.metricLabel(code)).isEqualTo(label);
  }

  @Test
  void theLabelsAreBoundedWhateverCodesClientsChoose() {
    assertThat(IntStream.range(0, 65536).mapToObj(CloseCode::metricLabel).distinct().count())
        .isLessThanOrEqualTo(21);
  }
}
