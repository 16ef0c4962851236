package io.agentwire.it;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonValue;
import java.lang.System.Logger.Level;
import java.time.Duration;

/** Agents that misbehave on purpose, deployed only in tests. */
public final class TestAgents {

  private TestAgents() {}

  /** Throws after one step: its run must end with agent_failed, the connection must stay open. */
  @ApplicationScoped
  public static class Exploding implements Agent {
    @Override
    public String name() {
      return "explode";
    }

    @Override
    public JsonValue run(JsonValue input, RunContext context) throws Exception {
      context.thinking("about to fail");
      throw new IllegalStateException("secret internal detail that must not reach the client");
    }
  }

  /** Ignores cancellation: sleeps in a loop without asking; only an interrupt ends it. */
  @ApplicationScoped
  public static class Stubborn implements Agent {
    @Override
    public String name() {
      return "stubborn";
    }

    @Override
    public JsonValue run(JsonValue input, RunContext context) throws Exception {
      context.thinking("not listening");
      try {
        while (true) {
          Thread.sleep(50);
        }
      } catch (InterruptedException e) {
        // Read by the IT from the server log: the grace's end really interrupted the agent.
        System.getLogger("agentwire.test")
            .log(Level.INFO, "stubborn interrupted: " + context.runId());
        throw e;
      }
    }
  }

  /** Thinks aloud every 200 ms until cancelled: a steady stream of events. */
  @ApplicationScoped
  public static class Chatty implements Agent {
    @Override
    public String name() {
      return "chatty";
    }

    @Override
    public JsonValue run(JsonValue input, RunContext context) throws Exception {
      for (int i = 0; ; i++) {
        context.thinking("thought " + i);
        context.pause(Duration.ofMillis(200));
      }
    }
  }
}
