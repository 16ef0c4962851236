package io.agentwire.agent.boundary;

import java.time.Duration;

/** The built-in agents as the container would configure them, for tests outside this package. */
public final class BuiltInAgents {

  private BuiltInAgents() {}

  public static AnalyzeAgent analyze(Duration stepDelay) {
    AnalyzeAgent agent = new AnalyzeAgent();
    agent.stepDelay = stepDelay;
    return agent;
  }

  public static EchoAgent echo() {
    return new EchoAgent();
  }
}
