package io.agentwire.agent.control;

import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunCancelledException;
import io.agentwire.connection.control.Connection;
import io.agentwire.connection.control.ConnectionSettings;
import io.agentwire.connection.control.Connections;
import io.agentwire.connection.entity.ClientMessage;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ServerMessages;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.session.entity.StreamSession;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.json.Json;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Starts, cancels and ends agent runs. Runs execute on a managed executor, never on a WebSocket
 * thread; every event goes through the session, which numbers it and queues it outbound.
 */
@ApplicationScoped
public class Runs {

  private static final Logger LOG = System.getLogger("agentwire.agent");

  @Inject @Any Instance<Agent> agents;
  @Inject Connections connections;
  @Inject ConnectionSettings settings;
  @Inject Telemetry telemetry;

  @Inject
  @ConfigProperty(name = "agentwire.agents.cancel-grace")
  Duration cancelGrace;

  @Resource ManagedExecutorService executor;
  @Resource ManagedScheduledExecutorService scheduler;

  /** Runs in flight, by session id then run id. */
  private final Map<String, Map<String, Run>> active = new ConcurrentHashMap<>();

  /** Run ids ever used, by session id: a run id is unique in its session. */
  private final Map<String, Set<String>> used = new ConcurrentHashMap<>();

  public void start(Connection c, ClientMessage.Run request) {
    StreamSession session = c.session().orElseThrow();
    String runId = request.runId().orElseGet(() -> "run-" + UUID.randomUUID());
    Optional<Agent> agent =
        agents.stream().filter(a -> a.name().equals(request.agent())).findFirst();
    if (agent.isEmpty()) {
      connections.send(c, ServerMessages.error("unknown_agent",
          "no agent named " + abbreviate(request.agent()), runId));
      return;
    }
    Map<String, Run> runs = active.computeIfAbsent(session.id(), k -> new ConcurrentHashMap<>());
    Run run;
    synchronized (runs) {
      if (runs.size() >= settings.runsPerConnection()) {
        connections.send(c, ServerMessages.error("run_limit",
            "at most " + settings.runsPerConnection() + " runs at once", runId));
        return;
      }
      if (!used.computeIfAbsent(session.id(), k -> ConcurrentHashMap.newKeySet()).add(runId)) {
        connections.send(c, ServerMessages.error("duplicate_run",
            "runId already used in this session", runId));
        return;
      }
      run = new Run(runId, request.agent(), session);
      runs.put(runId, run);
    }
    connections.transition(c, new ConnectionEvent.RunStarted());
    run.emit("agent_started", Json.createObjectBuilder().add("agent", request.agent()));
    try {
      run.execution(executor.submit(() -> execute(c, run, agent.get(), request)));
    } catch (RejectedExecutionException e) {
      fail(c, run, e);
    }
  }

  public void cancel(Connection c, String runId) {
    Run run =
        c.session().map(s -> active.getOrDefault(s.id(), Map.of()).get(runId)).orElse(null);
    if (run == null) {
      connections.send(c, ServerMessages.error("unknown_run", "no run in flight with this id",
          runId));
      return;
    }
    run.requestCancel();
    // An agent that ignores cancellation is interrupted after the grace and ends cancelled anyway.
    scheduler.schedule(
        () -> {
          run.interrupt();
          finish(c, run, "cancelled", "agent_cancelled",
              Json.createObjectBuilder().add("reason", "cancelled by client, grace passed"));
        },
        cancelGrace.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void execute(Connection c, Run run, Agent agent, ClientMessage.Run request) {
    try {
      var output = agent.run(request.input(), run);
      if (run.cancelled()) {
        throw new RunCancelledException();
      }
      finish(c, run, "completed", "agent_completed",
          Json.createObjectBuilder().add("output", output == null ? jakarta.json.JsonValue.NULL
              : output));
    } catch (RunCancelledException | InterruptedException e) {
      finish(c, run, "cancelled", "agent_cancelled",
          Json.createObjectBuilder().add("reason", "cancelled by client"));
    } catch (Exception | LinkageError | AssertionError e) {
      fail(c, run, e);
    }
  }

  private void fail(Connection c, Run run, Throwable e) {
    String incident = UUID.randomUUID().toString().substring(0, 8);
    LOG.log(Level.WARNING, "incident " + incident + ": agent " + run.agent() + " failed in run "
        + run.runId() + " on " + c.logId(), e);
    finish(c, run, "failed", "agent_failed",
        Json.createObjectBuilder()
            .add("message", "agent " + run.agent() + " failed: "
                + abbreviate(e.getClass().getSimpleName()))
            .add("incident", incident));
  }

  private void finish(Connection c, Run run, String outcome, String type,
      jakarta.json.JsonObjectBuilder data) {
    if (!run.end(type, data)) {
      return;
    }
    telemetry.run(outcome, run.elapsed());
    Map<String, Run> runs = active.get(run.session().id());
    boolean idle;
    synchronized (runs) {
      runs.remove(run.runId());
      idle = runs.isEmpty();
    }
    if (idle) {
      synchronized (c) {
        if (c.state().isReady()) {
          connections.transition(c, new ConnectionEvent.RunsIdle());
        }
      }
    }
  }

  /** Runs in flight on a session. */
  public int inFlight(String sessionId) {
    return active.getOrDefault(sessionId, Map.of()).size();
  }

  /** Until sessions outlive connections, a session's runs end with its connection. */
  void connectionClosed(@Observes Connections.ConnectionClosed closed) {
    closed.connection().session().ifPresent(s -> {
      Map<String, Run> runs = active.remove(s.id());
      used.remove(s.id());
      if (runs != null) {
        runs.values().forEach(run -> {
          run.requestCancel();
          run.interrupt();
        });
      }
    });
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }
}
