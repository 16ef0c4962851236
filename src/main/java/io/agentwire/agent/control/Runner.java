package io.agentwire.agent.control;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunCancelledException;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Starts, cancels and ends the runs of sessions. Its collaborators are given, not injected, so that
 * {@link Runs} stays a thin container facade and this logic is tested without a container.
 */
final class Runner {

  /** What the runner needs of the connection a request came on. */
  interface Peer {

    Optional<StreamSession> session();

    String logId();

    /** Answers the request with an {@code error} message. */
    void refuse(String code, String message, String ref);

    /** A run started on the connection. */
    void runStarted();

    /** The connection's last run in flight ended; called inside {@link #exclusive}. */
    void runsIdle();

    /** Runs {@code action} under the connection's monitor, which requests are handled under. */
    void exclusive(Runnable action);
  }

  private static final Logger LOG = System.getLogger("agentwire.agent");

  private final Function<String, Optional<Agent>> agents;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final int limit;
  private final Duration cancelGrace;
  private final BiConsumer<String, Duration> outcomes;

  /** Runs in flight, by session id then run id. */
  private final Map<String, Map<String, Run>> active = new ConcurrentHashMap<>();

  /** Run ids ever used, by session id: a run id is unique in its session. */
  private final Map<String, Set<String>> used = new ConcurrentHashMap<>();

  /**
   * @param agents the agent of a name, if any
   * @param limit runs at once per connection
   * @param outcomes told the outcome ({@code completed}, {@code failed}, {@code cancelled}) and
   *     duration of every run
   */
  Runner(
      Function<String, Optional<Agent>> agents,
      ExecutorService executor,
      ScheduledExecutorService scheduler,
      int limit,
      Duration cancelGrace,
      BiConsumer<String, Duration> outcomes) {
    this.agents = agents;
    this.executor = executor;
    this.scheduler = scheduler;
    this.limit = limit;
    this.cancelGrace = cancelGrace;
    this.outcomes = outcomes;
  }

  void start(Peer peer, String agentName, JsonValue input, Optional<String> requestedId) {
    StreamSession session = peer.session().orElseThrow();
    String runId = requestedId.orElseGet(() -> "run-" + UUID.randomUUID());
    Optional<Agent> agent = agents.apply(agentName);
    if (agent.isEmpty()) {
      peer.refuse("unknown_agent", "no agent named " + abbreviate(agentName), runId);
      return;
    }
    Map<String, Run> runs = active.computeIfAbsent(session.id(), k -> new ConcurrentHashMap<>());
    Run run;
    synchronized (runs) {
      if (runs.size() >= limit) {
        peer.refuse("run_limit", "at most " + limit + " runs at once", runId);
        return;
      }
      if (!used.computeIfAbsent(session.id(), k -> ConcurrentHashMap.newKeySet()).add(runId)) {
        peer.refuse("duplicate_run", "runId already used in this session", runId);
        return;
      }
      run = new Run(runId, agentName, session);
      // Before the run can be found: nothing, not even a cancel, precedes agent_started.
      run.emit("agent_started", Json.createObjectBuilder().add("agent", agentName));
      runs.put(runId, run);
    }
    peer.runStarted();
    try {
      run.execution(executor.submit(() -> execute(peer, run, agent.get(), input)));
    } catch (RejectedExecutionException e) {
      fail(peer, run, e);
    }
  }

  void cancel(Peer peer, String runId) {
    Run run =
        peer.session().map(s -> active.getOrDefault(s.id(), Map.of()).get(runId)).orElse(null);
    if (run == null) {
      peer.refuse("unknown_run", "no run in flight with this id", runId);
      return;
    }
    run.requestCancel();
    // An agent that ignores cancellation is interrupted after the grace and ends cancelled anyway.
    scheduler.schedule(
        () -> {
          run.interrupt();
          finish(
              peer,
              run,
              "cancelled",
              "agent_cancelled",
              Json.createObjectBuilder().add("reason", "cancelled by client, grace passed"));
        },
        cancelGrace.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Runs in flight on a session. */
  int inFlight(String sessionId) {
    return active.getOrDefault(sessionId, Map.of()).size();
  }

  /** The session's connection closed: its runs are cancelled and interrupted, its ids forgotten. */
  void release(String sessionId) {
    Map<String, Run> runs = active.remove(sessionId);
    used.remove(sessionId);
    if (runs != null) {
      runs.values()
          .forEach(
              run -> {
                run.requestCancel();
                run.interrupt();
              });
    }
  }

  private void execute(Peer peer, Run run, Agent agent, JsonValue input) {
    try {
      JsonValue output = agent.run(input, run);
      if (run.cancelled()) {
        throw new RunCancelledException();
      }
      finish(
          peer,
          run,
          "completed",
          "agent_completed",
          Json.createObjectBuilder().add("output", output == null ? JsonValue.NULL : output));
    } catch (RunCancelledException | InterruptedException e) {
      finish(
          peer,
          run,
          "cancelled",
          "agent_cancelled",
          Json.createObjectBuilder().add("reason", "cancelled by client"));
    } catch (Throwable e) {
      // Any throwable, StackOverflowError included: a run always ends and frees its slot.
      fail(peer, run, e);
    }
  }

  /** The client learns the incident id only: the exception's message may hold secrets. */
  private void fail(Peer peer, Run run, Throwable e) {
    String incident = UUID.randomUUID().toString().substring(0, 8);
    LOG.log(
        Level.WARNING,
        "incident "
            + incident
            + ": agent "
            + run.agent()
            + " failed in run "
            + run.runId()
            + " on "
            + peer.logId(),
        e);
    finish(
        peer,
        run,
        "failed",
        "agent_failed",
        Json.createObjectBuilder()
            .add(
                "message",
                "agent "
                    + abbreviate(run.agent())
                    + " failed: "
                    + abbreviate(e.getClass().getSimpleName()))
            .add("incident", incident));
  }

  private void finish(Peer peer, Run run, String outcome, String type, JsonObjectBuilder data) {
    if (!run.end(type, data)) {
      return;
    }
    outcomes.accept(outcome, run.elapsed());
    // Under the connection's monitor, like start, so that a run started meanwhile is not idled.
    peer.exclusive(
        () -> {
          Map<String, Run> runs = active.get(run.session().id());
          if (runs == null) {
            return; // released with its connection
          }
          boolean idle;
          synchronized (runs) {
            runs.remove(run.runId(), run);
            idle = runs.isEmpty();
          }
          if (idle) {
            peer.runsIdle();
          }
        });
  }

  /** At most 64 chars and an ellipsis, never ending inside a surrogate pair. */
  private static String abbreviate(String s) {
    if (s.length() <= 64) {
      return s;
    }
    return s.substring(0, Character.isHighSurrogate(s.charAt(63)) ? 63 : 64) + "…";
  }
}
