package io.agentwire.connection.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** What the container reports when a client went away is told apart from a defect. */
class ClientGoneTest {

  @Test
  void aResetOrBrokenPipeAnywhereInTheCauseChainIsTheClientGoing() {
    assertThat(ClientGone.test(new IOException("Connection reset by peer"))).isTrue();
    assertThat(ClientGone.test(new ExecutionException(new EOFException()))).isTrue();
    assertThat(ClientGone.test(new RuntimeException(new IOException("Broken pipe")))).isTrue();
  }

  @Test
  void tyrussOwnWordsForAGoneSocketAreTheClientGoing() {
    assertThat(ClientGone.test(new IllegalStateException("The connection has been closed.")))
        .isTrue();
    assertThat(ClientGone.test(new RuntimeException("Socket is not connected."))).isTrue();
  }

  @Test
  void anythingElseIsADefect() {
    assertThat(ClientGone.test(new NullPointerException())).isFalse();
    assertThat(ClientGone.test(new IllegalStateException("unexpected state"))).isFalse();
    assertThat(ClientGone.test(new IllegalArgumentException("Socket is not connected.")))
        .as("a subclass with the same words is not Tyrus's")
        .isFalse();
    assertThat(ClientGone.test(new StackOverflowError())).isFalse();
  }
}
