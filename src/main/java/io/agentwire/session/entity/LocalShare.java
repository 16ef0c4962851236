package io.agentwire.session.entity;

import io.agentwire.protocol.entity.ServerMessage.RunInFlight;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A session that only this instance holds: its runs in flight are a map beside it, no other
 * instance holds it, and nobody else is told of its events. Only ever called under its session's
 * lock.
 */
public final class LocalShare implements SessionShare {

  private final Map<String, RunInFlight> runs = new LinkedHashMap<>();

  @Override
  public void stored(StoredEvent event) {}

  @Override
  public void runStarted(RunInFlight run) {
    runs.put(run.runId(), run);
  }

  @Override
  public void runEnded(String runId) {
    runs.remove(runId);
  }

  @Override
  public List<RunInFlight> runs() {
    return List.copyOf(runs.values());
  }

  @Override
  public Optional<String> hold(String holder) {
    return Optional.empty();
  }

  @Override
  public void release(String holder) {}
}
