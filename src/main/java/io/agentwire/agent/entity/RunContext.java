package io.agentwire.agent.entity;

import jakarta.json.JsonValue;
import java.time.Duration;

/** What a running agent may do: report thinking, call tools, wait, notice cancellation. */
public interface RunContext {

  /** A tool's work, called between {@code tool_executing} and {@code tool_completed}. */
  @FunctionalInterface
  interface Tool {
    JsonValue call() throws Exception;
  }

  String runId();

  /** Emits {@code agent_thinking} with {@code data.text}. */
  void thinking(String text) throws RunCancelledException;

  /**
   * Emits {@code tool_executing} ({@code data.tool}, {@code data.arguments}), calls the tool, then
   * emits {@code tool_completed} ({@code data.tool}, {@code data.result}) and returns the result.
   */
  JsonValue tool(String tool, JsonValue arguments, Tool call) throws Exception;

  /** Waits, returning early with {@link RunCancelledException} when the run is cancelled. */
  void pause(Duration duration) throws RunCancelledException, InterruptedException;

  /** Whether the client asked to cancel; long loops should check it. */
  boolean cancelled();
}
