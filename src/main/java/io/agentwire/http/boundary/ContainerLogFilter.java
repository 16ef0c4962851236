package io.agentwire.http.boundary;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Client faults that the container logs as its own errors, turned into short lines, a few per
 * minute. Grizzly 4 (Payara Micro 7.2026.11) cannot normalize a request URI that ends in {@code /.}
 * or {@code /..} when it fills its buffer exactly ({@code HttpRequestURIDecoder.normalizeBytes}
 * writes one byte past it): {@code CoyoteAdapter} logs the {@code ArrayIndexOutOfBoundsException}
 * at SEVERE with 30 lines of stack trace (AS-WEB-CORE-00037) for every {@code GET /ws/.}, before
 * any filter or servlet of the WAR could refuse it (issue 12). Such a record is no defect of this
 * server: it becomes one INFO line without the trace; more than {@link #LINES_PER_MINUTE} a minute
 * are dropped. Every other record passes as it is.
 *
 * <p>Payara's {@code OutputBuffer$WriteHandlerImpl.processCallbacks} runs a write listener's
 * callback on its async pool after the response was recycled when a client resets its connection
 * while the server writes (a refusal's close frame to a client that left at once): it throws a
 * {@code NullPointerException} ({@code response} is null) that nobody catches, and the JDK prints
 * it to standard error, five lines for each. The callback is for a connection already gone; nothing
 * of ours runs in it. While the WAR is deployed, an uncaught exception with that top frame is one
 * short line in the log (within the same budget); any other uncaught exception goes to the handler
 * that was there before, or is logged at SEVERE with its stack trace.
 */
@WebListener
public class ContainerLogFilter
    implements ServletContextListener, Filter, Thread.UncaughtExceptionHandler {

  static final String CONTAINER_LOGGER = "jakarta.enterprise.web.core";
  static final int LINES_PER_MINUTE = 5;

  private final AtomicLong minute = new AtomicLong();
  private final AtomicLong linesThisMinute = new AtomicLong();
  private Filter previous;
  private Thread.UncaughtExceptionHandler previousHandler;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    Logger logger = Logger.getLogger(CONTAINER_LOGGER);
    previous = logger.getFilter();
    logger.setFilter(this);
    previousHandler = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler(this);
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    Logger logger = Logger.getLogger(CONTAINER_LOGGER);
    if (logger.getFilter() == this) {
      logger.setFilter(previous);
    }
    if (Thread.getDefaultUncaughtExceptionHandler() == this) {
      Thread.setDefaultUncaughtExceptionHandler(previousHandler);
    }
  }

  @Override
  public void uncaughtException(Thread thread, Throwable thrown) {
    if (isCallbackAfterRecycle(thrown)) {
      if (admit()) {
        Logger.getLogger(CONTAINER_LOGGER)
            .info(
                "client fault: a write callback for a connection the client reset ran after the"
                    + " container recycled it (Payara OutputBuffer); at most "
                    + LINES_PER_MINUTE
                    + " such lines a minute");
      }
      return;
    }
    if (previousHandler != null) {
      previousHandler.uncaughtException(thread, thrown);
    } else {
      Logger.getLogger(CONTAINER_LOGGER)
          .log(Level.SEVERE, "uncaught exception in thread " + thread.getName(), thrown);
    }
  }

  /** Payara's write callback on a recycled response: for a connection that is gone. */
  static boolean isCallbackAfterRecycle(Throwable thrown) {
    if (!(thrown instanceof NullPointerException)) {
      return false;
    }
    StackTraceElement[] stack = thrown.getStackTrace();
    return stack.length > 0
        && stack[0]
            .getClassName()
            .equals("org.apache.catalina.connector.OutputBuffer$WriteHandlerImpl")
        && stack[0].getMethodName().equals("processCallbacks");
  }

  private boolean admit() {
    long now = TimeUnit.NANOSECONDS.toMinutes(System.nanoTime());
    if (minute.getAndSet(now) != now) {
      linesThisMinute.set(0);
    }
    return linesThisMinute.incrementAndGet() <= LINES_PER_MINUTE;
  }

  @Override
  public boolean isLoggable(LogRecord record) {
    if (!isUnnormalizableUri(record.getThrown())) {
      return previous == null || previous.isLoggable(record);
    }
    if (!admit()) {
      return false;
    }
    record.setLevel(Level.INFO);
    record.setThrown(null);
    record.setParameters(null);
    record.setMessage(
        "client fault: a request URI the container cannot normalize (ends in /. or /..);"
            + " at most "
            + LINES_PER_MINUTE
            + " such lines a minute");
    return true;
  }

  /** Grizzly's URI normalizer failing on its own buffer: the client's URI, not a defect. */
  static boolean isUnnormalizableUri(Throwable thrown) {
    if (!(thrown instanceof ArrayIndexOutOfBoundsException)) {
      return false;
    }
    StackTraceElement[] stack = thrown.getStackTrace();
    return stack.length > 0
        && stack[0].getClassName().equals("org.glassfish.grizzly.http.util.HttpRequestURIDecoder");
  }
}
