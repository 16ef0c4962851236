package io.agentwire.agent.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.agent.boundary.BuiltInAgents;
import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunCancelledException;
import io.agentwire.agent.entity.RunContext;
import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The runner on real thread pools with the real built-in agents, without a container. */
class RunnerTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration PROMPTLY = Duration.ofSeconds(3);
  private static final Set<String> TERMINAL =
      Set.of("agent_completed", "agent_failed", "agent_cancelled");
  private static final String TEXT =
      "Agents stream events to clients; agents call tools, and agents report results over the"
          + " wire.";

  /** An agent's body, so that a test can write its agent as a lambda. */
  @FunctionalInterface
  interface Body {
    JsonValue run(JsonValue input, RunContext context) throws Exception;
  }

  /** The connection side: refusals and state announcements, recorded. */
  static final class FakePeer implements Peer {
    final StreamSession session;
    final List<String> refusals = new CopyOnWriteArrayList<>();
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger idled = new AtomicInteger();

    FakePeer(StreamSession session) {
      this.session = session;
    }

    public Optional<StreamSession> session() {
      return Optional.of(session);
    }

    public String logId() {
      return "connection-1";
    }

    public void refuse(ErrorCode code, String message, String ref) {
      refusals.add(code.wireName() + " " + ref);
    }

    public void runStarted() {
      started.incrementAndGet();
    }
  }

  /** Failures that escaped a task of the runner: there must be none. */
  private final List<Throwable> escaped = new CopyOnWriteArrayList<>();

  private final ThreadPoolExecutor executor =
      new ThreadPoolExecutor(8, 8, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>()) {
        @Override
        protected void afterExecute(Runnable task, Throwable failure) {
          if (task instanceof Future<?> f && f.isDone() && !f.isCancelled()) {
            try {
              f.get();
            } catch (ExecutionException e) {
              escaped.add(e.getCause());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }
      };

  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  private final Map<String, Agent> agents = new ConcurrentHashMap<>();
  private final StreamSession session = new StreamSession("s-1", "alice", "token", 10_000);
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final FakePeer peer = new FakePeer(session);
  private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

  @BeforeEach
  void setUp() {
    session.sink(text -> events.add(Json.createReader(new StringReader(text)).readObject()));
    agents.put("echo", BuiltInAgents.echo());
    agents.put("analyze", BuiltInAgents.analyze(Duration.ofMillis(5)));
    // Completes when the test opens the gate of its run.
    agent(
        "gated",
        (input, context) -> {
          gates
              .computeIfAbsent(context.runId(), k -> new CountDownLatch(1))
              .await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
          return input;
        });
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    executor.shutdownNow();
    scheduler.shutdownNow();
    assertThat(executor.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(escaped).isEmpty();
  }

  private Runner runner(int limit, Duration grace) {
    return new Runner(
        name -> Optional.ofNullable(agents.get(name)),
        executor,
        scheduler,
        limit,
        grace,
        (outcome, took) -> {},
        sessionId -> peer.idled.incrementAndGet());
  }

  private void agent(String name, Body body) {
    agents.put(
        name,
        new Agent() {
          public String name() {
            return name;
          }

          public JsonValue run(JsonValue input, RunContext context) throws Exception {
            return body.run(input, context);
          }
        });
  }

  private void start(Runner runner, String agent, String runId) {
    runner.start(peer, agent, Json.createValue(TEXT), Optional.of(runId));
  }

  private void open(String runId) {
    gates.computeIfAbsent(runId, k -> new CountDownLatch(1)).countDown();
  }

  private List<JsonObject> eventsOf(String runId) {
    return events.stream().filter(e -> e.getString("runId").equals(runId)).toList();
  }

  private static List<String> types(List<JsonObject> events) {
    return events.stream().map(e -> e.getString("type")).toList();
  }

  /** Waits, bounded, for the run's terminal event and returns it. */
  private JsonObject awaitEnd(String runId, Duration atMost) {
    return within(atMost)
        .until(
            () ->
                eventsOf(runId).stream()
                    .filter(e -> TERMINAL.contains(e.getString("type")))
                    .findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  /** agent_started first, one terminal event last, tool calls in closed pairs of one tool. */
  private static void assertContractOrder(List<JsonObject> run) {
    List<String> types = types(run);
    assertThat(types.get(0)).isEqualTo("agent_started");
    assertThat(TERMINAL).contains(types.get(types.size() - 1));
    assertThat(types.stream().filter(TERMINAL::contains)).hasSize(1);
    String openTool = null;
    for (JsonObject e : run.subList(1, run.size() - 1)) {
      switch (e.getString("type")) {
        case "tool_executing" -> {
          assertThat(openTool).as("a tool call inside another").isNull();
          openTool = e.getJsonObject("data").getString("tool");
        }
        case "tool_completed" -> {
          assertThat(e.getJsonObject("data").getString("tool")).isEqualTo(openTool);
          openTool = null;
        }
        default -> assertThat(e.getString("type")).isEqualTo("agent_thinking");
      }
    }
    assertThat(openTool).as("a tool call left open").isNull();
  }

  @Test
  void emitsEachRunInContractOrderWithSeqContiguousAcrossConcurrentRuns() {
    Runner runner = runner(8, WAIT);
    List<String> ids = IntStream.rangeClosed(1, 8).mapToObj(i -> "r" + i).toList();
    ids.forEach(id -> start(runner, id.endsWith("1") || id.endsWith("5") ? "echo" : "analyze", id));

    ids.forEach(id -> awaitEnd(id, WAIT));

    assertThat(events.stream().map(e -> e.getJsonNumber("seq").longValue()))
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, events.size()).mapToObj(i -> (long) i).toList());
    for (String id : ids) {
      List<JsonObject> run = eventsOf(id);
      assertContractOrder(run);
      JsonObject data = run.get(run.size() - 1).getJsonObject("data");
      if (id.endsWith("1") || id.endsWith("5")) {
        assertThat(types(run)).containsExactly("agent_started", "agent_completed");
        assertThat(data.getString("output")).isEqualTo(TEXT);
      } else {
        JsonObject output = data.getJsonObject("output");
        assertThat(types(run)).contains("agent_thinking").endsWith("agent_completed");
        assertThat(
                run.stream()
                    .filter(e -> e.getString("type").equals("tool_completed"))
                    .map(e -> e.getJsonObject("data").getString("tool")))
            .containsExactly("word_count", "keywords");
        assertThat(output.getInt("wordCount")).isEqualTo(15);
        assertThat(output.getJsonArray("keywords").getValuesAs(JsonValue::toString))
            .containsExactly("\"agents\"", "\"stream\"", "\"events\"");
      }
    }
    within(WAIT).until(() -> runner.inFlight("s-1") == 0);
  }

  @Test
  void refusesTheRunBeyondTheLimitUntilARunEnds() {
    Runner runner = runner(2, WAIT);
    start(runner, "gated", "a");
    start(runner, "gated", "b");

    start(runner, "gated", "c");
    assertThat(peer.refusals).containsExactly("run_limit c");
    assertThat(eventsOf("c")).isEmpty();
    assertThat(runner.inFlight("s-1")).isEqualTo(2);

    open("a");
    assertThat(awaitEnd("a", WAIT).getString("type")).isEqualTo("agent_completed");
    within(WAIT).until(() -> runner.inFlight("s-1") == 1);
    start(runner, "gated", "c");
    assertThat(peer.refusals).containsExactly("run_limit c");
    assertThat(types(eventsOf("c"))).containsExactly("agent_started");
    open("b");
    open("c");
  }

  @Test
  void reportsIdleOnlyWhenTheLastRunInFlightEnds() {
    Runner runner = runner(2, WAIT);
    start(runner, "gated", "a");
    start(runner, "gated", "b");
    assertThat(peer.started).hasValue(2);

    open("a");
    awaitEnd("a", WAIT);
    // Under the peer's monitor, which the runner holds while it removes a run and reports idle.
    within(WAIT)
        .until(
            () -> {
              synchronized (peer) {
                return runner.inFlight("s-1") == 1;
              }
            });
    assertThat(peer.idled).hasValue(0);
    open("b");
    within(WAIT).untilAsserted(() -> assertThat(peer.idled).hasValue(1));
  }

  @Test
  void refusesARunIdAlreadyUsedInTheSession() {
    Runner runner = runner(4, WAIT);
    start(runner, "echo", "r1");
    awaitEnd("r1", WAIT);

    start(runner, "echo", "r1");

    assertThat(peer.refusals).containsExactly("duplicate_run r1");
    assertThat(types(eventsOf("r1"))).containsExactly("agent_started", "agent_completed");
  }

  @Test
  void refusesAnUnknownAgentWithoutEmittingAnything() {
    Runner runner = runner(4, WAIT);

    start(runner, "no-such-agent", "r1");

    assertThat(peer.refusals).containsExactly("unknown_agent r1");
    assertThat(events).isEmpty();
    assertThat(peer.started).hasValue(0);
  }

  @Test
  void refusesCancelOfARunThatIsUnknownOrOver() {
    Runner runner = runner(4, WAIT);
    start(runner, "echo", "done");
    awaitEnd("done", WAIT);
    within(WAIT).until(() -> runner.inFlight("s-1") == 0);

    runner.cancel(peer, "ghost");
    runner.cancel(peer, "done");

    assertThat(peer.refusals).containsExactly("unknown_run ghost", "unknown_run done");
  }

  @Test
  void cancelsAnAgentWaitingInPausePromptly() {
    agents.put("analyze", BuiltInAgents.analyze(Duration.ofMinutes(5)));
    Runner runner = runner(4, Duration.ofMinutes(5));
    start(runner, "analyze", "r1");
    within(WAIT).until(() -> types(eventsOf("r1")).contains("agent_thinking"));

    runner.cancel(peer, "r1");

    JsonObject end = awaitEnd("r1", PROMPTLY);
    assertThat(end.getString("type")).isEqualTo("agent_cancelled");
    assertContractOrder(eventsOf("r1"));
    within(WAIT).until(() -> runner.inFlight("s-1") == 0);
  }

  @Test
  void cancelsAnAgentAtItsNextThinkingWithoutEmittingIt() throws InterruptedException {
    CountDownLatch thought = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    agent(
        "thinker",
        (input, context) -> {
          context.thinking("first");
          thought.countDown();
          proceed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
          context.thinking("second");
          return input;
        });
    Runner runner = runner(4, Duration.ofMinutes(5));
    start(runner, "thinker", "r1");
    assertThat(reached(thought)).isTrue();

    runner.cancel(peer, "r1");
    proceed.countDown();

    assertThat(awaitEnd("r1", PROMPTLY).getString("type")).isEqualTo("agent_cancelled");
    assertThat(types(eventsOf("r1")))
        .containsExactly("agent_started", "agent_thinking", "agent_cancelled");
  }

  @Test
  void interruptsAnAgentIgnoringCancellationAfterTheGraceAndEmitsNothingAfterTheEnd()
      throws InterruptedException {
    CountDownLatch inTool = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    // Its own tool_completed comes after the run was ended by the grace: it must be dropped.
    agent(
        "stubborn",
        (input, context) -> {
          try {
            context.tool(
                "slow",
                input,
                () -> {
                  inTool.countDown();
                  awaitIgnoringInterrupts(release, interrupted);
                  return Json.createValue("late");
                });
          } catch (RunCancelledException ignored) {
            // it keeps going
          }
          try {
            context.thinking("still here");
          } catch (RunCancelledException ignored) {
            // and going
          }
          return Json.createValue("done anyway");
        });
    Runner runner = runner(4, Duration.ofMillis(100));
    start(runner, "stubborn", "r1");
    assertThat(reached(inTool)).isTrue();

    runner.cancel(peer, "r1");

    assertThat(awaitEnd("r1", PROMPTLY).getString("type")).isEqualTo("agent_cancelled");
    within(WAIT).untilTrue(interrupted);
    within(WAIT).until(() -> runner.inFlight("s-1") == 0);
    release.countDown();
    executor.shutdown();
    assertThat(executor.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    // The runner closes the pair itself when the grace ends the run inside the tool call.
    List<JsonObject> run = eventsOf("r1");
    assertThat(types(run))
        .containsExactly("agent_started", "tool_executing", "tool_completed", "agent_cancelled");
    assertThat(run.get(2).getJsonObject("data"))
        .containsEntry("tool", Json.createValue("slow"))
        .containsEntry("result", JsonValue.NULL)
        .containsEntry("interrupted", JsonValue.TRUE);
  }

  @Test
  void closesTheToolPairWhenAToolThrows() {
    agent(
        "fragile",
        (input, context) ->
            context.tool(
                "explode",
                input,
                () -> {
                  throw new IllegalStateException("tool broke");
                }));
    Runner runner = runner(4, WAIT);
    start(runner, "fragile", "r1");

    assertThat(awaitEnd("r1", WAIT).getString("type")).isEqualTo("agent_failed");
    assertContractOrder(eventsOf("r1"));
    assertThat(types(eventsOf("r1")))
        .containsExactly("agent_started", "tool_executing", "tool_completed", "agent_failed");
  }

  static Stream<Throwable> failures() {
    return Stream.of(
        new IllegalStateException("db password=hunter2"),
        new IOException("token hunter2 rejected"),
        new StackOverflowError("hunter2"));
  }

  @ParameterizedTest
  @MethodSource("failures")
  void mapsAThrowingAgentToAgentFailedWithAnIncidentAndNoDetailAndTheSessionKeepsWorking(
      Throwable failure) {
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Logger log = Logger.getLogger("agentwire.agent");
    Handler capture =
        new Handler() {
          public void publish(LogRecord record) {
            logged.add(record);
          }

          public void flush() {}

          public void close() {}
        };
    log.addHandler(capture);
    log.setUseParentHandlers(false);
    try {
      agent(
          "broken",
          (input, context) -> {
            if (failure instanceof Error error) {
              throw error;
            }
            throw (Exception) failure;
          });
      Runner runner = runner(1, WAIT);
      start(runner, "broken", "r1");

      JsonObject end = awaitEnd("r1", WAIT);
      assertThat(end.getString("type")).isEqualTo("agent_failed");
      JsonObject data = end.getJsonObject("data");
      assertThat(data.keySet()).containsExactlyInAnyOrder("message", "incident");
      assertThat(data.getString("message"))
          .isNotBlank()
          .hasSizeLessThan(120)
          .doesNotContain("hunter2", "\n", "\tat ", "io.agentwire");
      String incident = data.getString("incident");
      assertThat(incident).matches("[0-9a-f]{8}");
      assertThat(logged)
          .anySatisfy(
              r -> {
                assertThat(r.getMessage()).contains(incident);
                assertThat(r.getThrown()).isSameAs(failure);
              });

      within(WAIT).until(() -> runner.inFlight("s-1") == 0);
      start(runner, "echo", "r2");
      assertThat(awaitEnd("r2", WAIT).getString("type")).isEqualTo("agent_completed");
    } finally {
      log.removeHandler(capture);
      log.setUseParentHandlers(true);
    }
  }

  @Test
  void anExpiredSessionCancelsItsRunsClosingTheToolPairAndForgetsTheirIds() {
    agent(
        "stuck-in-tool",
        (input, context) ->
            context.tool(
                "slow",
                input,
                () -> {
                  Thread.sleep(Duration.ofMinutes(5)); // the run's own work, ended by interrupt
                  return null;
                }));
    Runner runner = runner(4, Duration.ofMinutes(5));
    start(runner, "stuck-in-tool", "r1");
    within(WAIT).until(() -> types(eventsOf("r1")).contains("tool_executing"));

    runner.expire("s-1");

    JsonObject end = awaitEnd("r1", PROMPTLY);
    assertThat(end.getString("type")).isEqualTo("agent_cancelled");
    assertThat(end.getJsonObject("data").getString("reason")).isEqualTo("session expired");
    assertContractOrder(eventsOf("r1"));
    assertThat(eventsOf("r1").get(2).getJsonObject("data").getBoolean("interrupted")).isTrue();
    assertThat(runner.inFlight("s-1")).isZero();
    start(runner, "echo", "r1");
    assertThat(peer.refusals).isEmpty();
  }

  @Test
  void completesTheToolPairWhenAToolAnswersNothing() {
    agent("quiet", (input, context) -> context.tool("nothing", input, () -> null));
    Runner runner = runner(4, WAIT);
    start(runner, "quiet", "r1");

    assertThat(awaitEnd("r1", WAIT).getString("type")).isEqualTo("agent_completed");
    assertContractOrder(eventsOf("r1"));
    assertThat(eventsOf("r1").get(2).getJsonObject("data").get("result")).isEqualTo(JsonValue.NULL);
  }

  /** A bounded wait that polls often: these runs end in milliseconds. */
  private static ConditionFactory within(Duration atMost) {
    return await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
  }

  private static boolean reached(CountDownLatch latch) throws InterruptedException {
    return latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Like a tool stuck in a call that swallows interrupts; bounded all the same. */
  private static void awaitIgnoringInterrupts(CountDownLatch latch, AtomicBoolean interrupted) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (latch.getCount() > 0 && System.nanoTime() < deadline) {
      try {
        latch.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted.set(true);
      }
    }
  }
}
