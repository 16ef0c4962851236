package io.agentwire.http.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class ContainerLogFilterTest {

  static LogRecord record(Throwable thrown) {
    LogRecord r = new LogRecord(Level.SEVERE, "AS-WEB-CORE-00037");
    r.setThrown(thrown);
    return r;
  }

  static Throwable grizzlyNormalizer() {
    ArrayIndexOutOfBoundsException e =
        new ArrayIndexOutOfBoundsException("Index 5 out of bounds for length 5");
    e.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement(
              "org.glassfish.grizzly.http.util.HttpRequestURIDecoder",
              "normalizeBytes",
              "HttpRequestURIDecoder.java",
              501),
          new StackTraceElement(
              "org.apache.catalina.connector.CoyoteAdapter",
              "postParseRequest",
              "CoyoteAdapter.java",
              420)
        });
    return e;
  }

  @Test
  void grizzlysUriNormalizerFailingIsOneShortInfoLineAFewTimesAMinute() {
    ContainerLogFilter filter = new ContainerLogFilter();
    LogRecord first = record(grizzlyNormalizer());

    assertThat(filter.isLoggable(first)).isTrue();
    assertThat(first.getLevel()).isEqualTo(Level.INFO);
    assertThat(first.getThrown()).as("no stack trace").isNull();
    assertThat(first.getMessage()).startsWith("client fault:");

    int admitted = 1;
    for (int i = 0; i < 20; i++) {
      if (filter.isLoggable(record(grizzlyNormalizer()))) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(ContainerLogFilter.LINES_PER_MINUTE);
  }

  @Test
  void everyOtherRecordPassesAsItIs() {
    ContainerLogFilter filter = new ContainerLogFilter();
    LogRecord defect = record(new ArrayIndexOutOfBoundsException("ours"));
    LogRecord plain = record(null);

    assertThat(filter.isLoggable(defect)).isTrue();
    assertThat(defect.getLevel()).isEqualTo(Level.SEVERE);
    assertThat(defect.getThrown()).isNotNull();
    assertThat(filter.isLoggable(plain)).isTrue();
    assertThat(plain.getLevel()).isEqualTo(Level.SEVERE);
  }

  @Test
  void onlyPayarasWriteCallbackOnARecycledResponseIsTakenForAClientFault() {
    NullPointerException callback = new NullPointerException("this.this$0.response is null");
    callback.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement(
              "org.apache.catalina.connector.OutputBuffer$WriteHandlerImpl",
              "processCallbacks",
              "OutputBuffer.java",
              771)
        });
    assertThat(ContainerLogFilter.isCallbackAfterRecycle(callback)).isTrue();
    assertThat(ContainerLogFilter.isCallbackAfterRecycle(new NullPointerException("ours")))
        .isFalse();
    assertThat(ContainerLogFilter.isUnnormalizableUri(callback)).isFalse();
  }

  @Test
  void otherUncaughtExceptionsGoToTheHandlerThatWasThereBefore() {
    java.util.List<Throwable> before = new java.util.ArrayList<>();
    Thread.UncaughtExceptionHandler saved = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> before.add(e));
    ContainerLogFilter filter = new ContainerLogFilter();
    try {
      filter.contextInitialized(null);
      assertThat(Thread.getDefaultUncaughtExceptionHandler()).isSameAs(filter);
      IllegalStateException other = new IllegalStateException("a defect");
      filter.uncaughtException(Thread.currentThread(), other);
      assertThat(before).containsExactly(other);
      filter.contextDestroyed(null);
      assertThat(Thread.getDefaultUncaughtExceptionHandler()).isNotSameAs(filter);
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(saved);
    }
  }
}
