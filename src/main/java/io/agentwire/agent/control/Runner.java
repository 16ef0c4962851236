package io.agentwire.agent.control;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunCancelledException;
import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.protocol.entity.Excerpt;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
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
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Starts, cancels and ends the runs of sessions. Its collaborators are given, not injected, so that
 * {@link Runs} stays a thin container facade and this logic is tested without a container.
 */
final class Runner {

  private static final Logger LOG = System.getLogger("agentwire.agent");

  /** Looked up once: the static {@code Json.create*} repeat the ServiceLoader lookup per call. */
  private static final JsonProvider JSON = JsonProvider.provider();

  /** How much of a client-given or agent-given name a message quotes. */
  static final int EXCERPT_BYTES = 64;

  private final Function<String, Optional<Agent>> agents;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final int limit;
  private final Duration cancelGrace;
  private final BiConsumer<String, Duration> outcomes;
  private final Consumer<String> idle;
  private final BiPredicate<String, String> elsewhere;

  /** Runs in flight, by session id then run id. */
  private final Map<String, Map<String, Run>> active = new ConcurrentHashMap<>();

  /**
   * Run ids used, by session id: a run id is unique in its session. Bounded: the most recent {@link
   * #REMEMBERED_RUN_IDS} of a session, so a long session does not grow without end; a client that
   * reuses an id older than that is not told {@code duplicate_run}.
   */
  private final Map<String, Set<String>> used = new ConcurrentHashMap<>();

  static final int REMEMBERED_RUN_IDS = 1024;

  /**
   * @param agents the agent of a name, if any
   * @param limit runs at once per connection
   * @param outcomes told the outcome ({@code completed}, {@code failed}, {@code cancelled}) and
   *     duration of every run
   * @param idle told the id of a session whose last run in flight ended
   */
  Runner(
      Function<String, Optional<Agent>> agents,
      ExecutorService executor,
      ScheduledExecutorService scheduler,
      int limit,
      Duration cancelGrace,
      BiConsumer<String, Duration> outcomes,
      Consumer<String> idle) {
    this(agents, executor, scheduler, limit, cancelGrace, outcomes, idle, (session, run) -> false);
  }

  /**
   * @param elsewhere whether a run not in flight here is in flight on another member of the cluster
   *     (by session id and run id), which is then asked to cancel it
   */
  Runner(
      Function<String, Optional<Agent>> agents,
      ExecutorService executor,
      ScheduledExecutorService scheduler,
      int limit,
      Duration cancelGrace,
      BiConsumer<String, Duration> outcomes,
      Consumer<String> idle,
      BiPredicate<String, String> elsewhere) {
    this.elsewhere = elsewhere;
    this.agents = agents;
    this.executor = executor;
    this.scheduler = scheduler;
    this.limit = limit;
    this.cancelGrace = cancelGrace;
    this.outcomes = outcomes;
    this.idle = idle;
  }

  void start(Peer peer, String agentName, JsonValue input, Optional<String> requestedId) {
    StreamSession session = peer.session().orElseThrow();
    String runId = requestedId.orElseGet(() -> "run-" + UUID.randomUUID());
    Optional<Agent> agent = agents.apply(agentName);
    if (agent.isEmpty()) {
      peer.refuse(ErrorCode.UNKNOWN_AGENT, "no agent named " + abbreviate(agentName), runId);
      return;
    }
    Map<String, Run> runs = active.computeIfAbsent(session.id(), k -> new ConcurrentHashMap<>());
    Run run;
    synchronized (runs) {
      if (runs.size() >= limit) {
        peer.refuse(ErrorCode.RUN_LIMIT, "at most " + limit + " runs at once", runId);
        return;
      }
      if (!used.computeIfAbsent(session.id(), k -> remembered()).add(runId)) {
        peer.refuse(ErrorCode.DUPLICATE_RUN, "runId already used in this session", runId);
        return;
      }
      run = new Run(runId, agentName, session);
      // Before the run can be found: nothing, not even a cancel, precedes agent_started.
      run.emit(EventType.AGENT_STARTED, JSON.createObjectBuilder().add("agent", agentName));
      runs.put(runId, run);
    }
    peer.runStarted();
    try {
      run.execution(executor.submit(() -> execute(run, agent.get(), input)));
    } catch (RejectedExecutionException e) {
      fail(run, e);
    }
  }

  void cancel(Peer peer, String runId) {
    Run run =
        peer.session().map(s -> active.getOrDefault(s.id(), Map.of()).get(runId)).orElse(null);
    if (run == null) {
      if (peer.session().filter(s -> elsewhere.test(s.id(), runId)).isEmpty()) {
        peer.refuse(ErrorCode.UNKNOWN_RUN, "no run in flight with this id", runId);
      }
      return;
    }
    cancel(run);
  }

  /**
   * A client on another member of the cluster cancels a run in flight here; nothing when it has
   * ended meanwhile (its terminal event tells that client).
   */
  void cancelHere(String sessionId, String runId) {
    Run run = active.getOrDefault(sessionId, Map.of()).get(runId);
    if (run != null) {
      cancel(run);
    }
  }

  private void cancel(Run run) {
    run.requestCancel();
    // An agent that ignores cancellation ends cancelled anyway after the grace, then is
    // interrupted: ended first, so the agent's own reaction to the interrupt cannot take the
    // terminal event (with an interrupt first, the two raced for it).
    scheduler.schedule(
        () -> {
          finish(
              run,
              "cancelled",
              EventType.AGENT_CANCELLED,
              JSON.createObjectBuilder().add("reason", "cancelled by client, grace passed"));
          run.interrupt();
        },
        cancelGrace.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Runs in flight on a session. */
  int inFlight(String sessionId) {
    return active.getOrDefault(sessionId, Map.of()).size();
  }

  /**
   * The session expired (PROTOCOL section 6: runs belong to the session, and are cancelled only
   * when it expires): each run in flight ends with {@code agent_cancelled} (closing an open tool
   * pair first), then its agent is told to stop and interrupted; the session's run ids are
   * forgotten.
   */
  void expire(String sessionId) {
    Map<String, Run> runs = active.get(sessionId);
    if (runs != null) {
      for (Run run : List.copyOf(runs.values())) {
        run.requestCancel();
        finish(
            run,
            "cancelled",
            EventType.AGENT_CANCELLED,
            JSON.createObjectBuilder().add("reason", "session expired"));
        run.interrupt();
      }
    }
    active.remove(sessionId);
    used.remove(sessionId);
  }

  private void execute(Run run, Agent agent, JsonValue input) {
    try {
      JsonValue output = agent.run(input, run);
      if (run.cancelled()) {
        throw new RunCancelledException();
      }
      finish(
          run,
          "completed",
          EventType.AGENT_COMPLETED,
          JSON.createObjectBuilder().add("output", output == null ? JsonValue.NULL : output));
    } catch (RunCancelledException | InterruptedException e) {
      finish(
          run,
          "cancelled",
          EventType.AGENT_CANCELLED,
          JSON.createObjectBuilder().add("reason", "cancelled by client"));
    } catch (Throwable e) {
      // Any throwable, StackOverflowError included: a run always ends and frees its slot.
      fail(run, e);
    }
  }

  /** The client learns the incident id only: the exception's message may hold secrets. */
  private void fail(Run run, Throwable e) {
    String incident = UUID.randomUUID().toString().substring(0, 8);
    LOG.log(
        Level.WARNING,
        "incident "
            + incident
            + ": agent "
            + run.agent()
            + " failed in run "
            + run.runId()
            + " of session "
            + run.session().id(),
        e);
    finish(
        run,
        "failed",
        EventType.AGENT_FAILED,
        JSON.createObjectBuilder()
            .add(
                "message",
                "agent "
                    + abbreviate(run.agent())
                    + " failed: "
                    + abbreviate(e.getClass().getSimpleName()))
            .add("incident", incident));
  }

  private void finish(Run run, String outcome, EventType type, JsonObjectBuilder data) {
    if (!run.end(type, data)) {
      return;
    }
    outcomes.accept(outcome, run.elapsed());
    Map<String, Run> runs = active.get(run.session().id());
    if (runs == null) {
      return; // released with its session
    }
    boolean nowIdle;
    synchronized (runs) {
      nowIdle = runs.remove(run.runId(), run) && runs.isEmpty();
    }
    if (nowIdle) {
      // The connection checks inFlight under its own monitor, where runs start: a run started
      // meanwhile keeps it PROCESSING.
      idle.accept(run.session().id());
    }
  }

  /** An insertion-ordered set that forgets its eldest id past the bound. */
  private static Set<String> remembered() {
    return java.util.Collections.synchronizedSet(
        java.util.Collections.newSetFromMap(
            new java.util.LinkedHashMap<String, Boolean>() {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > REMEMBERED_RUN_IDS;
              }
            }));
  }

  /** At most {@link #EXCERPT_BYTES} of a name for a message, never cut inside a character. */
  private static String abbreviate(String s) {
    return Excerpt.of(s, EXCERPT_BYTES);
  }
}
