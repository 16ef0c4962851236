package io.agentwire.agent.control;

import io.agentwire.agent.entity.RunCancelledException;
import io.agentwire.agent.entity.RunContext;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One agent run and the context it reports through. Events are emitted under the run's monitor, and
 * nothing is emitted once the run has ended, so its terminal event is always its last.
 */
final class Run implements RunContext {

  /** Looked up once: the static {@code Json.create*} repeat the ServiceLoader lookup per call. */
  private static final JsonProvider JSON = JsonProvider.provider();

  private final String id;
  private final String agent;
  private final StreamSession session;
  private final long startedNanos = System.nanoTime();
  private final CountDownLatch cancelSignal = new CountDownLatch(1);
  private boolean ended;

  /** The tool between its tool_executing and tool_completed, if any. */
  private String openTool;

  private Future<?> execution;

  Run(String id, String agent, StreamSession session) {
    this.id = id;
    this.agent = agent;
    this.session = session;
  }

  @Override
  public String runId() {
    return id;
  }

  String agent() {
    return agent;
  }

  StreamSession session() {
    return session;
  }

  Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  synchronized void execution(Future<?> execution) {
    this.execution = execution;
  }

  /** Interrupts an agent that ignored cancellation. */
  synchronized void interrupt() {
    if (execution != null) {
      execution.cancel(true);
    }
  }

  void requestCancel() {
    cancelSignal.countDown();
  }

  @Override
  public boolean cancelled() {
    return cancelSignal.getCount() == 0;
  }

  /** Emits an event of this run unless it has ended. */
  synchronized void emit(EventType type, JsonObjectBuilder data) {
    if (!ended) {
      session.emit(type, id, data);
    }
  }

  /** Emits the terminal event once; false when the run had already ended. */
  synchronized boolean end(EventType type, JsonObjectBuilder data) {
    if (ended) {
      return false;
    }
    if (openTool != null) {
      // Ended inside a tool call (the tool threw, or the cancel grace passed): tool calls still
      // come in pairs (PROTOCOL section 4), and the agent's own tool_completed would be dropped.
      session.emit(
          EventType.TOOL_COMPLETED,
          id,
          JSON.createObjectBuilder()
              .add("tool", openTool)
              .add("result", JsonValue.NULL)
              .add("interrupted", true));
      openTool = null;
    }
    session.emit(type, id, data);
    ended = true;
    return true;
  }

  private void emitUnlessCancelled(EventType type, JsonObjectBuilder data)
      throws RunCancelledException {
    if (cancelled()) {
      throw new RunCancelledException();
    }
    emit(type, data);
  }

  @Override
  public void thinking(String text) throws RunCancelledException {
    emitUnlessCancelled(EventType.AGENT_THINKING, JSON.createObjectBuilder().add("text", text));
  }

  /** Emits a tool event unless the run has ended, and records which call it leaves open. */
  private synchronized void emitTool(EventType type, String leftOpen, JsonObjectBuilder data) {
    if (!ended) {
      session.emit(type, id, data);
      openTool = leftOpen;
    }
  }

  @Override
  public JsonValue tool(String tool, JsonValue arguments, Tool call) throws Exception {
    if (cancelled()) {
      throw new RunCancelledException();
    }
    emitTool(
        EventType.TOOL_EXECUTING,
        tool,
        JSON.createObjectBuilder().add("tool", tool).add("arguments", arguments));
    JsonValue answer = call.call();
    JsonValue result = answer == null ? JsonValue.NULL : answer;
    // The pair is completed even if a cancel arrived meanwhile: tool calls come in pairs.
    emitTool(
        EventType.TOOL_COMPLETED,
        null,
        JSON.createObjectBuilder().add("tool", tool).add("result", result));
    if (cancelled()) {
      throw new RunCancelledException();
    }
    return result;
  }

  @Override
  public void pause(Duration duration) throws RunCancelledException, InterruptedException {
    if (duration.isZero() || duration.isNegative()) {
      if (cancelled()) {
        throw new RunCancelledException();
      }
      return;
    }
    if (cancelSignal.await(duration.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new RunCancelledException();
    }
  }
}
