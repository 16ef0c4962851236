package io.agentwire.agent.control;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunEnded;
import io.agentwire.agent.entity.RunsEnded;
import io.agentwire.readiness.control.ExecutorWatch;
import io.agentwire.readiness.control.ExecutorWatches;
import io.agentwire.session.control.SessionDirectory;
import io.agentwire.session.entity.ClusterNotice;
import io.agentwire.session.entity.SessionEnded;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorDefinition;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Starts, cancels and ends agent runs. Runs execute on their own managed executor, on virtual
 * threads (Jakarta Concurrency 3.1), never on a WebSocket thread; every event goes through the
 * session, which numbers it and hands it to whichever connection holds the session. The work is
 * done by a {@link Runner}; this bean hands it the container's collaborators.
 */
@ApplicationScoped
@ManagedExecutorDefinition(name = Runs.EXECUTOR, maxAsync = 256, virtual = true)
public class Runs {

  /**
   * Agent runs get their own executor: an agent may block (pause, I/O), and must not starve
   * connection set-up, which has its own.
   */
  static final String EXECUTOR = "java:app/concurrent/agentwire-agents";

  @Inject @Any Instance<Agent> agents;
  @Inject Event<RunsEnded> runsEnded;
  @Inject Event<RunEnded> runEnded;
  @Inject ExecutorWatches watches;
  @Inject SessionDirectory sessions;

  @Inject
  @ConfigProperty(name = "agentwire.limits.runs-per-connection")
  int runsPerConnection;

  @Inject
  @ConfigProperty(name = "agentwire.agents.cancel-grace")
  Duration cancelGrace;

  @Resource(lookup = EXECUTOR)
  ManagedExecutorService executor;

  @Resource ManagedScheduledExecutorService scheduler;

  private Runner runner;

  @PostConstruct
  void init() {
    // Resolved once: Instance.stream() on every run created @Dependent agents that were never
    // destroyed. These live as long as this bean.
    Map<String, Agent> byName = new HashMap<>();
    for (Agent agent : agents) {
      byName.putIfAbsent(agent.name(), agent);
    }
    ExecutorWatch watch = watches.watch("agents", executor);
    runner =
        new Runner(
            name -> Optional.ofNullable(byName.get(name)),
            watch.executorService(),
            scheduler,
            runsPerConnection,
            cancelGrace,
            (outcome, took) -> runEnded.fire(new RunEnded(outcome, took)),
            sessionId -> runsEnded.fire(new RunsEnded(sessionId)),
            sessions::cancelElsewhere);
  }

  public void start(Peer peer, String agent, JsonValue input, Optional<String> runId) {
    runner.start(peer, agent, input, runId);
  }

  public void cancel(Peer peer, String runId) {
    runner.cancel(peer, runId);
  }

  /** Runs in flight on a session. */
  public int inFlight(String sessionId) {
    return runner.inFlight(sessionId);
  }

  /** A client on another member of the cluster cancels a run of this instance. */
  void cancelled(@Observes ClusterNotice.Cancel cancel) {
    runner.cancelHere(cancel.sessionId(), cancel.runId());
  }

  /** A session that expired takes its runs with it: they end cancelled. */
  void sessionEnded(@Observes SessionEnded ended) {
    runner.expire(ended.sessionId());
  }
}
