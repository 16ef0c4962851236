package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HoldTest {

  @Test
  void releasesMessagesInArrivalOrder() {
    Hold hold = new Hold(8);
    hold.offer("a");
    hold.offer("b");
    hold.offer("c");

    assertThat(hold.release()).containsExactly("a", "b", "c");
    assertThat(hold.size()).isZero();
  }

  @Test
  void refusesTheMessageThatWouldOverflowAndKeepsTheRest() {
    Hold hold = new Hold(2);

    assertThat(hold.offer("1")).isTrue();
    assertThat(hold.offer("2")).isTrue();
    assertThat(hold.offer("3")).as("the overflowing message").isFalse();
    assertThat(hold.release()).containsExactly("1", "2");
  }

  @Test
  void isEmptyAfterReleaseAndCanHoldAgain() {
    Hold hold = new Hold(1);
    hold.offer("x");
    hold.release();

    assertThat(hold.offer("y")).isTrue();
    assertThat(hold.release()).containsExactly("y");
  }
}
