package io.agentwire.agent.control;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.agentwire.agent.boundary.BuiltInAgents;
import io.agentwire.agent.entity.Agent;
import io.agentwire.agent.entity.RunContext;
import io.agentwire.connection.control.MessageDecoder;
import io.agentwire.connection.entity.ClientMessage;
import io.agentwire.connection.entity.ClientMessage.Ack;
import io.agentwire.connection.entity.ClientMessage.Cancel;
import io.agentwire.connection.entity.ClientMessage.Ping;
import io.agentwire.connection.entity.ClientMessage.Run;
import io.agentwire.connection.entity.Decoded;
import io.agentwire.connection.entity.Decoded.Message;
import io.agentwire.connection.entity.Decoded.Refused;
import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Whatever frames a client sends, each is answered by an {@code error} with one of PROTOCOL's codes
 * or by its effect, nothing throws, and the runs it starts keep the event contract (PROTOCOL
 * section 4). The real decoder and {@link Runner}, the real {@code echo} and {@code analyze} agents
 * and a failing one, on small real thread pools. Plain {@code mvn test} runs the inputs under
 * {@code DispatchFuzzTestInputs}; {@code JAZZER_FUZZ=1 mvn test -Dtest=DispatchFuzzTest} fuzzes.
 */
class DispatchFuzzTest {

  private static final int LIMIT = 2;
  private static final int MAX_FRAMES = 24;
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String SESSION = "s-1";
  private static final String SECRET = "hunter2";
  private static final Set<String> CODES =
      Set.of(
          "bad_request",
          "unknown_type",
          "unknown_agent",
          "run_limit",
          "unknown_run",
          "duplicate_run");
  private static final Set<String> TERMINAL =
      Set.of("agent_completed", "agent_failed", "agent_cancelled");
  private static final Set<String> EVENTS =
      Set.of(
          "agent_started",
          "agent_thinking",
          "tool_executing",
          "tool_completed",
          "agent_completed",
          "agent_failed",
          "agent_cancelled");

  private static final MessageDecoder DECODER = new MessageDecoder();
  private static final JsonReaderFactory READERS =
      JsonProvider.provider().createReaderFactory(null);
  private static final Map<String, Agent> AGENTS =
      Map.of(
          "echo", BuiltInAgents.echo(),
          "analyze", BuiltInAgents.analyze(Duration.ZERO),
          "broken", new BrokenAgent());

  /** Held strongly: java.util.logging keeps loggers weakly, and the level must stick. */
  private static final Logger RUNNER_LOG = Logger.getLogger("agentwire.agent");

  private static final Tasks TASKS = new Tasks();

  /** Failures that escaped a task of the runner during the current input: there must be none. */
  private static final List<Throwable> ESCAPED = new CopyOnWriteArrayList<>();

  private static final ThreadPoolExecutor EXECUTOR =
      new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemons()) {
        @Override
        public void execute(Runnable task) {
          TASKS.added();
          super.execute(task);
        }

        @Override
        protected void afterExecute(Runnable task, Throwable failure) {
          recordEscaped(task, failure);
          TASKS.done();
        }
      };

  private static final ScheduledThreadPoolExecutor SCHEDULER =
      new ScheduledThreadPoolExecutor(1, daemons()) {
        @Override
        protected <V> RunnableScheduledFuture<V> decorateTask(
            Runnable task, RunnableScheduledFuture<V> future) {
          TASKS.added();
          return future;
        }

        @Override
        protected void afterExecute(Runnable task, Throwable failure) {
          recordEscaped(task, failure);
          TASKS.done();
        }
      };

  /**
   * Fails with a secret in the message: an Error for a number input, from inside a tool call for a
   * string input, else an exception.
   */
  static final class BrokenAgent implements Agent {
    @Override
    public String name() {
      return "broken";
    }

    @Override
    public JsonValue run(JsonValue input, RunContext context) throws Exception {
      if (input instanceof JsonNumber) {
        throw new StackOverflowError(SECRET);
      }
      if (input instanceof JsonString) {
        return context.tool(
            "explode",
            input,
            () -> {
              throw new IllegalStateException("password=" + SECRET);
            });
      }
      throw new IllegalStateException("password=" + SECRET);
    }
  }

  /** The connection side: every answer and event it would send, in sending order. */
  static final ServerMessageEncoder ENCODER = new ServerMessageEncoder();

  static final class FakePeer implements Peer {
    final StreamSession session = new StreamSession(SESSION, "alice", "token", 10_000);

    /** Errors and pongs: only ever sent on the dispatching thread. */
    final List<String> answers = new CopyOnWriteArrayList<>();

    /** Events in the order the session handed them out, which is seq order. */
    final List<String> events = new CopyOnWriteArrayList<>();

    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger idled = new AtomicInteger();

    FakePeer() {
      session.sink(events::add);
    }

    @Override
    public Optional<StreamSession> session() {
      return Optional.of(session);
    }

    @Override
    public String logId() {
      return "connection-1";
    }

    @Override
    public void refuse(ErrorCode code, String message, String ref) {
      answers.add(ENCODER.encode(new ServerMessage.Error(code, message, Optional.ofNullable(ref))));
    }

    @Override
    public void runStarted() {
      started.incrementAndGet();
    }
  }

  /**
   * Tasks given to the pools and not finished yet. The pools outlive inputs, as threads per input
   * would halve the executions per second; an input is over when this count is back to zero.
   */
  static final class Tasks {
    private int pending;

    synchronized void added() {
      pending++;
    }

    synchronized void done() {
      if (--pending == 0) {
        notifyAll();
      }
    }

    synchronized boolean awaitNone(Duration atMost) throws InterruptedException {
      long deadline = System.nanoTime() + atMost.toNanos();
      while (pending > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }

  /** What the test asked of each run it saw start: its agent and input. */
  private record Started(String agent, JsonValue input) {}

  private FakePeer peer;
  private Runner runner;
  private final Map<String, Started> startedRuns = new HashMap<>();

  // Bytes as UTF-8, one frame a line: Tyrus hands the application only valid UTF-8 (a 1007
  // otherwise), and lines keep the corpus files readable. Frames holding a raw newline are the
  // decoder fuzz test's business.
  @FuzzTest(maxDuration = "5m")
  @DictionaryEntries({
    "{\"type\":\"run\",\"agent\":\"echo\",\"input\":",
    "{\"type\":\"run\",\"agent\":\"analyze\",\"input\":\"a b a\",\"runId\":\"r1\"}",
    "{\"type\":\"run\",\"agent\":\"broken\",\"input\":1,\"runId\":\"r2\"}",
    "{\"type\":\"cancel\",\"runId\":\"r1\"}",
    "{\"type\":\"ack\",\"seq\":",
    "{\"type\":\"ping\",\"id\":",
    "\"runId\":\"r1\"",
    "\"agent\"",
    "\"input\"",
    "\"type\"",
    "\"echo\"",
    "\"analyze\"",
    "\"broken\"",
    "9223372036854775807",
    "\\ud800",
    "\\udc00"
  })
  void answersEachFrameAndKeepsEveryRunInContract(byte[] input) throws Exception {
    List<String> frames = frames(input);
    // Tasks left by an input that failed must not count against this one.
    TASKS.awaitNone(WAIT);
    ESCAPED.clear();
    peer = new FakePeer();
    startedRuns.clear();
    // Cancel grace zero: the grace's end races the agent, which must still leave one terminal.
    runner =
        new Runner(
            name -> Optional.ofNullable(AGENTS.get(name)),
            EXECUTOR,
            SCHEDULER,
            LIMIT,
            Duration.ZERO,
            (outcome, took) -> {},
            sessionId -> peer.idled.incrementAndGet());
    Level level = RUNNER_LOG.getLevel();
    // The failing agent would log a stack trace per run: too slow and too loud for fuzzing.
    RUNNER_LOG.setLevel(Level.OFF);
    try {
      for (String frame : frames) {
        dispatchAndCheck(frame);
      }
      // Bounded: every run ends without delay, since step delays and the grace are zero.
      assertThat(TASKS.awaitNone(WAIT)).as("runs still going after %s", WAIT).isTrue();
    } finally {
      RUNNER_LOG.setLevel(level);
    }
    assertThat(ESCAPED).isEmpty();
    checkSession();
  }

  /**
   * The branches of {@code MessageDispatch.handle}, with {@code Connections.send} and {@code Runs}
   * replaced by the peer and the runner: MessageDispatch itself needs CDI beans and a WebSocket
   * session. Under the peer's monitor, as {@code ReadyGate.receive} holds the connection's.
   */
  private void dispatch(Decoded decoded) {
    synchronized (peer) {
      if (decoded instanceof Refused refused) {
        peer.refuse(refused.code(), refused.message(), refused.ref());
        return;
      }
      ClientMessage message = ((Message) decoded).message();
      if (message instanceof Ping ping) {
        peer.answers.add(ENCODER.encode(new ServerMessage.Pong(ping.id())));
      } else if (message instanceof Run run) {
        runner.start(peer, run.agent(), run.input(), run.runId());
      } else if (message instanceof Cancel cancel) {
        runner.cancel(peer, cancel.runId());
      } else if (message instanceof Ack ack) {
        peer.session().ifPresent(s -> s.acknowledge(ack.seq()));
      } else {
        throw new IllegalStateException("unhandled message type " + message.type());
      }
    }
  }

  /** Dispatches one frame and checks what it answered synchronously. */
  private void dispatchAndCheck(String frame) {
    int answersBefore = peer.answers.size();
    int eventsBefore = peer.events.size();
    long lastSeqBefore = peer.session.lastSeq();
    Decoded decoded = DECODER.decode(frame);

    dispatch(decoded);

    List<JsonObject> answers =
        since(peer.answers, answersBefore).stream().map(DispatchFuzzTest::wire).toList();
    answers.forEach(DispatchFuzzTest::checkAnswer);
    assertThat(runner.inFlight(SESSION)).isBetween(0, LIMIT);
    if (decoded instanceof Refused refused) {
      assertThat(answers)
          .singleElement()
          .satisfies(a -> assertThat(a.getString("code")).isEqualTo(refused.code().wireName()));
      return;
    }
    ClientMessage message = ((Message) decoded).message();
    if (message instanceof Ping ping) {
      assertThat(answers)
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.getString("type")).isEqualTo("pong");
                assertThat(a.get("id")).isEqualTo(ping.id().orElse(JsonValue.NULL));
              });
    } else if (message instanceof Run run) {
      checkStart(run, answers, eventsBefore);
    } else if (message instanceof Cancel cancel) {
      if (!startedRuns.containsKey(cancel.runId())) {
        assertThat(answers)
            .singleElement()
            .satisfies(a -> refusal(a, "unknown_run", cancel.runId()));
      } else {
        // Known ids may have ended meanwhile: then unknown_run, else nothing.
        assertThat(answers)
            .hasSizeLessThanOrEqualTo(1)
            .allSatisfy(a -> refusal(a, "unknown_run", cancel.runId()));
      }
    } else if (message instanceof Ack ack) {
      assertThat(answers).isEmpty();
      long forgotten = Math.min(ack.seq(), lastSeqBefore);
      assertThat(peer.session.unacknowledged())
          .allSatisfy(e -> assertThat(e.getJsonNumber("seq").longValue()).isGreaterThan(forgotten));
    }
  }

  /** A run is refused with one of start's codes, or start emitted its agent_started. */
  private void checkStart(Run run, List<JsonObject> answers, int eventsBefore) {
    List<JsonObject> startedNow =
        since(peer.events, eventsBefore).stream()
            .map(DispatchFuzzTest::wire)
            .filter(e -> e.getString("type").equals("agent_started"))
            .toList();
    boolean reused = run.runId().map(startedRuns::containsKey).orElse(false);
    if (!AGENTS.containsKey(run.agent())) {
      assertThat(answers)
          .singleElement()
          .satisfies(a -> assertThat(a.getString("code")).isEqualTo("unknown_agent"));
    } else if (reused) {
      assertThat(answers)
          .singleElement()
          .satisfies(a -> assertThat(a.getString("code")).isIn("run_limit", "duplicate_run"));
    } else {
      assertThat(answers)
          .hasSizeLessThanOrEqualTo(1)
          .allSatisfy(a -> assertThat(a.getString("code")).isEqualTo("run_limit"));
    }
    if (!answers.isEmpty()) {
      assertThat(startedNow).isEmpty();
      run.runId().ifPresent(id -> assertThat(answers.get(0).getString("ref")).isEqualTo(id));
      return;
    }
    // Only start emits agent_started, and only on this thread.
    assertThat(startedNow)
        .singleElement()
        .satisfies(
            e -> {
              run.runId().ifPresent(id -> assertThat(e.getString("runId")).isEqualTo(id));
              assertThat(e.getJsonObject("data").getString("agent")).isEqualTo(run.agent());
              startedRuns.put(e.getString("runId"), new Started(run.agent(), run.input()));
            });
  }

  /** After every run ended: seq, order, pairs and outcomes over the whole session. */
  private void checkSession() {
    List<JsonObject> events = peer.events.stream().map(DispatchFuzzTest::wire).toList();
    Map<String, List<JsonObject>> byRun = new HashMap<>();
    Set<String> open = new HashSet<>();
    for (int i = 0; i < events.size(); i++) {
      JsonObject e = events.get(i);
      assertThat(e.getJsonNumber("seq").longValueExact()).as("seq").isEqualTo(i + 1L);
      assertThat(EVENTS).contains(e.getString("type"));
      assertThat(Instant.parse(e.getString("ts"))).isNotNull();
      String runId = e.getString("runId");
      byRun.computeIfAbsent(runId, k -> new ArrayList<>()).add(e);
      if (e.getString("type").equals("agent_started")) {
        open.add(runId);
      } else if (TERMINAL.contains(e.getString("type"))) {
        open.remove(runId);
      }
      assertThat(open.size()).as("runs in flight at seq %d", i + 1).isLessThanOrEqualTo(LIMIT);
    }
    assertThat(byRun.keySet()).isEqualTo(startedRuns.keySet());
    byRun.forEach((runId, run) -> checkRun(startedRuns.get(runId), run));
    assertThat(peer.session.lastSeq()).isEqualTo(events.size());
    List<JsonObject> kept = peer.session.unacknowledged();
    for (int i = 0; i < kept.size(); i++) {
      assertThat(kept.get(i).getJsonNumber("seq").longValue())
          .isEqualTo(events.size() - kept.size() + i + 1L);
    }
    assertThat(runner.inFlight(SESSION)).isZero();
    assertThat(peer.started).hasValue(startedRuns.size());
    assertThat(peer.idled.get()).isBetween(startedRuns.isEmpty() ? 0 : 1, startedRuns.size());
  }

  /** agent_started first, one terminal event last, tool calls in pairs, the agent's outcome. */
  private static void checkRun(Started started, List<JsonObject> run) {
    List<String> types = run.stream().map(e -> e.getString("type")).toList();
    assertThat(types.get(0)).isEqualTo("agent_started");
    assertThat(types.stream().filter(TERMINAL::contains)).hasSize(1);
    String end = types.get(types.size() - 1);
    assertThat(TERMINAL).contains(end);
    String openTool = null;
    for (JsonObject e : run.subList(1, run.size() - 1)) {
      String tool = e.getJsonObject("data").getString("tool", null);
      switch (e.getString("type")) {
        case "tool_executing" -> {
          assertThat(openTool).as("a tool call inside another").isNull();
          openTool = tool;
        }
        case "tool_completed" -> {
          assertThat(tool).isNotNull().isEqualTo(openTool);
          openTool = null;
        }
        default -> assertThat(e.getString("type")).isEqualTo("agent_thinking");
      }
    }
    assertThat(openTool).as("a tool call left open").isNull();
    JsonObject data = run.get(run.size() - 1).getJsonObject("data");
    if (end.equals("agent_failed")) {
      assertThat(data.getString("message")).doesNotContain(SECRET).hasSizeLessThan(120);
      assertThat(data.getString("incident")).matches("[0-9a-f]{8}");
    }
    boolean analyzable = started.input() instanceof JsonString;
    switch (started.agent()) {
      case "echo" -> {
        assertThat(end).isIn("agent_completed", "agent_cancelled");
        if (end.equals("agent_completed")) {
          assertThat(data.get("output")).isEqualTo(started.input());
        }
      }
      case "analyze" -> {
        assertThat(end).isIn(analyzable ? "agent_completed" : "agent_failed", "agent_cancelled");
        if (end.equals("agent_completed")) {
          assertThat(types).contains("agent_thinking");
          assertThat(
                  run.stream()
                      .filter(e -> e.getString("type").equals("tool_completed"))
                      .map(e -> e.getJsonObject("data").getString("tool")))
              .containsExactly("word_count", "keywords");
        }
      }
      default -> assertThat(end).isIn("agent_failed", "agent_cancelled");
    }
  }

  private static void checkAnswer(JsonObject answer) {
    if (answer.getString("type").equals("error")) {
      assertThat(CODES).contains(answer.getString("code"));
      assertThat(answer.getString("message")).isNotBlank();
    } else {
      assertThat(answer.getString("type")).isEqualTo("pong");
    }
  }

  private static void refusal(JsonObject answer, String code, String ref) {
    assertThat(answer.getString("code")).isEqualTo(code);
    assertThat(answer.getString("ref")).isEqualTo(ref);
  }

  /**
   * What the client would receive: one JSON object in a valid text frame. Tyrus encodes with a
   * strict UTF-8 encoder and throws a java.lang.Error, on the sending thread, for a lone surrogate
   * (TextFrame.encode, Tyrus 2.x in Payara 6.2025.10); the same check, without the container.
   */
  private static JsonObject wire(String text) {
    try {
      UTF_8.newEncoder().encode(CharBuffer.wrap(text));
    } catch (CharacterCodingException e) {
      throw new AssertionError("not sendable as a text frame: " + escape(text), e);
    }
    try (var reader = READERS.createReader(new StringReader(text))) {
      return reader.readObject();
    }
  }

  private static String escape(String text) {
    StringBuilder s = new StringBuilder();
    text.chars()
        .limit(300)
        .forEach(
            c ->
                s.append(
                    c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return s.toString();
  }

  /** A snapshot first: workers append events meanwhile, which a sublist view does not survive. */
  private static List<String> since(List<String> sent, int from) {
    List<String> now = List.copyOf(sent);
    return now.subList(from, now.size());
  }

  private static List<String> frames(byte[] input) {
    return new String(input, UTF_8).lines().limit(MAX_FRAMES).toList();
  }

  private static ThreadFactory daemons() {
    return task -> {
      Thread thread = new Thread(task, "dispatch-fuzz");
      thread.setDaemon(true);
      return thread;
    };
  }

  private static void recordEscaped(Runnable task, Throwable failure) {
    if (failure != null) {
      ESCAPED.add(failure);
    }
    if (task instanceof Future<?> f && f.isDone() && !f.isCancelled()) {
      try {
        f.get();
      } catch (ExecutionException e) {
        ESCAPED.add(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
