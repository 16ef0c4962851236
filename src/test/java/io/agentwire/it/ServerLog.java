package io.agentwire.it;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps a copy of everything printed to {@code System.out} of the test JVM, which is where the
 * Arquillian Payara Micro adapter echoes the server's console ({@code OutputLoggingConsumer}).
 */
final class ServerLog {

  private static final ByteArrayOutputStream COPY = new ByteArrayOutputStream();
  private static boolean installed;

  private ServerLog() {}

  /** Call from a static initializer, before the container boots. */
  static synchronized void capture() {
    if (installed) {
      return;
    }
    installed = true;
    PrintStream original = System.out;
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            original.write(b);
            synchronized (COPY) {
              COPY.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            original.write(b, off, len);
            synchronized (COPY) {
              COPY.write(b, off, len);
            }
          }
        };
    System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  static String text() {
    synchronized (COPY) {
      return COPY.toString(StandardCharsets.UTF_8);
    }
  }
}
