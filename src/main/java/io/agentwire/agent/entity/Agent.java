package io.agentwire.agent.entity;

import jakarta.json.JsonValue;

/**
 * The agent SPI: implement it in a CDI bean (e.g. {@code @ApplicationScoped}) and clients can run
 * it by {@link #name()}. Runs execute on a managed executor, never on a WebSocket thread.
 */
public interface Agent {

  /** The name clients give in {@code run.agent}. */
  String name();

  /**
   * Runs once. Report progress through {@code context}; the returned value becomes {@code
   * agent_completed.data.output}. Throwing ends the run with {@code agent_failed}; the connection
   * stays open and the client sees a short message and an incident id, never a stack trace.
   */
  JsonValue run(JsonValue input, RunContext context) throws Exception;
}
