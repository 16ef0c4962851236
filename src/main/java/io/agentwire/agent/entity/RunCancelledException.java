package io.agentwire.agent.entity;

/** Thrown into an agent by its context once its run was cancelled; ends it with agent_cancelled. */
public final class RunCancelledException extends Exception {

  public RunCancelledException() {
    super("run cancelled", null, false, false);
  }
}
