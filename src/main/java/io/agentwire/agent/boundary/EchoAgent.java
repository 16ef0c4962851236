package io.agentwire.agent.boundary;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonValue;

/** Built-in {@code echo}: completes with its input as output. */
@ApplicationScoped
public class EchoAgent implements Agent {

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public JsonValue run(JsonValue input, RunContext context) {
    return input;
  }
}
