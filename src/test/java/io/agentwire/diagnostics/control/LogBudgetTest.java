package io.agentwire.diagnostics.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogBudgetTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final LogBudget<String> budget = new LogBudget<>(3, Duration.ofSeconds(10), now::get);

  private int admitted(String key, int times) {
    int n = 0;
    for (int i = 0; i < times; i++) {
      if (budget.admit(key)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void logsTheFirstFewPerKeyAndIntervalAndCountsTheRest() {
    assertThat(admitted("early", 1000)).isEqualTo(3);
    assertThat(admitted("late", 2)).as("another key has its own budget").isEqualTo(2);
    assertThat(budget.takeEnded()).as("nothing ended yet").isEmpty();

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(budget.takeEnded()).isEqualTo(Map.of("early", 997L));
    assertThat(budget.takeEnded()).as("each count is handed out once").isEmpty();
    assertThat(admitted("early", 5)).as("a new interval, a new budget").isEqualTo(3);
  }

  @Test
  void anIntervalWithSuppressedLinesKeepsItsCountUntilTaken() {
    admitted("early", 4);
    now.addAndGet(Duration.ofSeconds(11).toNanos());
    assertThat(admitted("early", 2))
        .as("not logged while the last interval's summary is owed")
        .isZero();
    assertThat(budget.takeEnded()).isEqualTo(Map.of("early", 3L));
    assertThat(admitted("early", 3)).isEqualTo(3);
  }

  @Test
  void quietKeysAreForgotten() {
    admitted("once", 1);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(budget.takeEnded()).isEmpty();
    assertThat(admitted("once", 3)).isEqualTo(3);
  }
}
