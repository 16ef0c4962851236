package io.agentwire.protocol.entity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The event types and error codes spelled as PROTOCOL section 4 spells them. */
class WireNamesTest {

  @Test
  void namesEveryRunEventAsTheProtocolDoes() {
    assertThat(Arrays.stream(EventType.values()).map(EventType::wireName))
        .containsExactly(
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed",
            "agent_failed",
            "agent_cancelled");
  }

  @Test
  void endsARunWithCompletedFailedOrCancelledOnly() {
    assertThat(Stream.of(EventType.values()).filter(EventType::isTerminal))
        .containsExactlyInAnyOrder(
            EventType.AGENT_COMPLETED, EventType.AGENT_FAILED, EventType.AGENT_CANCELLED);
  }

  @Test
  void namesEveryErrorCodeAsTheProtocolDoes() {
    assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::wireName))
        .containsExactly(
            "bad_request",
            "unknown_type",
            "unknown_agent",
            "run_limit",
            "unknown_run",
            "duplicate_run");
  }
}
