package io.agentwire.agent.control;

import io.agentwire.agent.entity.Agent;
import io.agentwire.connection.control.Connection;
import io.agentwire.connection.control.ConnectionSettings;
import io.agentwire.connection.control.Connections;
import io.agentwire.connection.entity.ClientMessage;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.ServerMessages;
import io.agentwire.diagnostics.control.Telemetry;
import io.agentwire.session.entity.StreamSession;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorDefinition;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Starts, cancels and ends agent runs. Runs execute on a managed executor, never on a WebSocket
 * thread; every event goes through the session, which numbers it and queues it outbound. The work
 * is done by a {@link Runner}; this bean hands it the container's collaborators.
 */
@ApplicationScoped
@ManagedExecutorDefinition(name = Runs.EXECUTOR, maxAsync = 256)
public class Runs {

  /**
   * Agent runs get their own executor: an agent may block (pause, I/O), and must not starve
   * connection set-up or the liveness check, which use the default executor.
   */
  static final String EXECUTOR = "java:app/concurrent/agentwire-agents";

  @Inject @Any Instance<Agent> agents;
  @Inject Connections connections;
  @Inject ConnectionSettings settings;
  @Inject Telemetry telemetry;

  @Inject
  @ConfigProperty(name = "agentwire.agents.cancel-grace")
  Duration cancelGrace;

  @Resource(lookup = EXECUTOR)
  ManagedExecutorService executor;

  @Resource ManagedScheduledExecutorService scheduler;

  private Runner runner;

  @PostConstruct
  void init() {
    runner =
        new Runner(
            name -> agents.stream().filter(a -> a.name().equals(name)).findFirst(),
            executor,
            scheduler,
            settings.runsPerConnection(),
            cancelGrace,
            telemetry::run);
  }

  public void start(Connection c, ClientMessage.Run request) {
    runner.start(peer(c), request.agent(), request.input(), request.runId());
  }

  public void cancel(Connection c, String runId) {
    runner.cancel(peer(c), runId);
  }

  /** Until sessions outlive connections, a session's runs end with its connection. */
  void connectionClosed(@Observes Connections.ConnectionClosed closed) {
    closed.connection().session().ifPresent(s -> runner.release(s.id()));
  }

  private Runner.Peer peer(Connection c) {
    return new Runner.Peer() {
      @Override
      public Optional<StreamSession> session() {
        return c.session();
      }

      @Override
      public String logId() {
        return c.logId();
      }

      @Override
      public void refuse(String code, String message, String ref) {
        connections.send(c, ServerMessages.error(code, message, ref));
      }

      @Override
      public void runStarted() {
        connections.transition(c, new ConnectionEvent.RunStarted());
      }

      @Override
      public void runsIdle() {
        if (c.state().isReady()) {
          connections.transition(c, new ConnectionEvent.RunsIdle());
        }
      }

      @Override
      public void exclusive(Runnable action) {
        synchronized (c) {
          action.run();
        }
      }
    };
  }
}
