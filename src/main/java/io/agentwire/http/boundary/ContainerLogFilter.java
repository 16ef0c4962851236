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
 */
@WebListener
public class ContainerLogFilter implements ServletContextListener, Filter {

  static final String CONTAINER_LOGGER = "jakarta.enterprise.web.core";
  static final int LINES_PER_MINUTE = 5;

  private final AtomicLong minute = new AtomicLong();
  private final AtomicLong linesThisMinute = new AtomicLong();
  private Filter previous;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    Logger logger = Logger.getLogger(CONTAINER_LOGGER);
    previous = logger.getFilter();
    logger.setFilter(this);
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    Logger logger = Logger.getLogger(CONTAINER_LOGGER);
    if (logger.getFilter() == this) {
      logger.setFilter(previous);
    }
  }

  @Override
  public boolean isLoggable(LogRecord record) {
    if (!isUnnormalizableUri(record.getThrown())) {
      return previous == null || previous.isLoggable(record);
    }
    long now = TimeUnit.NANOSECONDS.toMinutes(System.nanoTime());
    if (minute.getAndSet(now) != now) {
      linesThisMinute.set(0);
    }
    if (linesThisMinute.incrementAndGet() > LINES_PER_MINUTE) {
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
