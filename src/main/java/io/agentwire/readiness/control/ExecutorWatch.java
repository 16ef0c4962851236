package io.agentwire.readiness.control;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Watches an executor for progress without queueing behind its work: it counts tasks submitted and
 * started, and the executor is stuck when tasks wait and none has started for a while. A liveness
 * probe that submitted a task of its own would wait behind a storm of set-ups and time out on a
 * healthy process.
 */
public final class ExecutorWatch {

  private final String name;
  private final Executor executor;
  private final LongSupplier nanos;
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong started = new AtomicLong();
  private volatile long lastProgressNanos;

  public ExecutorWatch(String name, Executor executor, LongSupplier nanos) {
    this.name = name;
    this.executor = executor;
    this.nanos = nanos;
    this.lastProgressNanos = nanos.getAsLong();
  }

  public String name() {
    return name;
  }

  /** Runs {@code task} on the watched executor, counted. */
  public void execute(Runnable task) {
    if (submitted.getAndIncrement() == started.get()) {
      lastProgressNanos = nanos.getAsLong(); // nothing was waiting: the clock starts now
    }
    try {
      executor.execute(
          () -> {
            started.incrementAndGet();
            lastProgressNanos = nanos.getAsLong();
            task.run();
          });
    } catch (RuntimeException e) {
      submitted.decrementAndGet();
      throw e;
    }
  }

  /** Tasks submitted but not started. */
  public long waiting() {
    return submitted.get() - started.get();
  }

  /** Whether tasks wait and none started for {@code patience}. */
  public boolean stuck(Duration patience) {
    return waiting() > 0 && nanos.getAsLong() - lastProgressNanos > patience.toNanos();
  }

  /** The watched executor as an executor service ({@code submit} gives cancellable futures). */
  public ExecutorService executorService() {
    return new AbstractExecutorService() {
      @Override
      public void execute(Runnable command) {
        ExecutorWatch.this.execute(command);
      }

      @Override
      public void shutdown() {
        throw new UnsupportedOperationException("the container owns the executor");
      }

      @Override
      public List<Runnable> shutdownNow() {
        throw new UnsupportedOperationException("the container owns the executor");
      }

      @Override
      public boolean isShutdown() {
        return false;
      }

      @Override
      public boolean isTerminated() {
        return false;
      }

      @Override
      public boolean awaitTermination(long timeout, TimeUnit unit) {
        return false;
      }
    };
  }
}
