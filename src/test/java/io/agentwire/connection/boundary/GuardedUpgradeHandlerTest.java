package io.agentwire.connection.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.connection.control.FrameInspector;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The close of {@link GuardedUpgradeHandler}'s connection (RFC 6455 section 7.1.1): a close the
 * client started closes TCP at once; after one the server started, what the client still sends is
 * dropped and TCP is closed only once the client's close frame or end of stream is read, or after
 * the linger. Closing earlier, with the client's bytes unread, made Linux reset the connection and
 * lose the server's close frame (4429 seen as 1006).
 */
class GuardedUpgradeHandlerTest {

  /** The container's input: what the client sent so far, read as Tyrus reads it. */
  static final class ClientBytes extends ServletInputStream {
    final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    byte[] current = new byte[0];
    int at;
    boolean eof;
    ReadListener listener;
    Runnable duringRead = () -> {};

    synchronized void send(byte[]... frames) {
      for (byte[] f : frames) {
        chunks.add(f);
      }
    }

    synchronized void end() {
      eof = true;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      Runnable during = duringRead;
      duringRead = () -> {};
      during.run(); // another thread's doing, while this one is inside the container's read
      return take(b, off, len);
    }

    private synchronized int take(byte[] b, int off, int len) {
      if (at == current.length) {
        if (chunks.isEmpty()) {
          return eof ? -1 : 0;
        }
        current = chunks.poll();
        at = 0;
      }
      int n = Math.min(len, current.length - at);
      System.arraycopy(current, at, b, off, n);
      at += n;
      return n;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException("Tyrus reads arrays");
    }

    @Override
    public synchronized boolean isReady() {
      return at < current.length || !chunks.isEmpty() || eof;
    }

    @Override
    public synchronized boolean isFinished() {
      return eof && at == current.length && chunks.isEmpty();
    }

    @Override
    public void setReadListener(ReadListener readListener) {
      this.listener = readListener;
    }
  }

  /** The container's connection: how often it was closed. */
  static final class Container implements WebConnection {
    final ClientBytes in = new ClientBytes();
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public ServletInputStream getInputStream() {
      return in;
    }

    @Override
    public ServletOutputStream getOutputStream() {
      throw new UnsupportedOperationException("nothing is written here");
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  /** A timer the test runs by hand: what was scheduled, after how long, and what was cancelled. */
  static final class ManualTimer {
    final List<Runnable> tasks = new ArrayList<>();
    final List<Long> delaysMillis = new ArrayList<>();
    final AtomicInteger cancelled = new AtomicInteger();
    final ScheduledExecutorService service =
        (ScheduledExecutorService)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ScheduledExecutorService.class},
                (proxy, method, args) -> {
                  if (!method.getName().equals("schedule") || !(args[0] instanceof Runnable r)) {
                    throw new UnsupportedOperationException(method.getName());
                  }
                  tasks.add(r);
                  delaysMillis.add(((TimeUnit) args[2]).toMillis((Long) args[1]));
                  return Proxy.newProxyInstance(
                      getClass().getClassLoader(),
                      new Class<?>[] {ScheduledFuture.class},
                      (f, m, a) -> {
                        if (m.getName().equals("cancel")) {
                          cancelled.incrementAndGet();
                          return true;
                        }
                        throw new UnsupportedOperationException(m.getName());
                      });
                });

    /** Runs the tasks due at once (delay 0): the closes handed off by the reading thread. */
    void runDue() {
      for (int i = 0; i < tasks.size(); i++) {
        if (delaysMillis.get(i) == 0) {
          tasks.get(i).run();
        }
      }
    }

    void fire() {
      tasks.forEach(Runnable::run);
    }
  }

  static final int MAX = 65_536;
  final ManualTimer timer = new ManualTimer();
  final Container container = new Container();

  GuardedUpgradeHandler.Guarded guarded(Duration linger) {
    return new GuardedUpgradeHandler.Guarded(
        container, new FrameInspector(MAX), timer.service, linger);
  }

  /** Reads while the input is ready, as Tyrus's onDataAvailable does; what Tyrus was given. */
  static byte[] tyrusReads(ServletInputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    while (in.isReady()) {
      int n = in.read(buffer);
      if (n < 0) {
        break;
      }
      got.write(buffer, 0, n);
    }
    return got.toByteArray();
  }

  /** A masked client frame of fewer than 126 bytes. */
  static byte[] frame(int b0, byte[] payload) {
    byte[] f = new byte[6 + payload.length];
    f[0] = (byte) b0;
    f[1] = (byte) (0x80 | payload.length);
    System.arraycopy(payload, 0, f, 6, payload.length); // masking key zero
    return f;
  }

  static byte[] ping(int id) {
    return frame(0x81, ("{\"type\":\"ping\",\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8));
  }

  static final byte[] CLOSE_1000 = frame(0x88, new byte[] {0x03, (byte) 0xE8});

  @Test
  void aCloseTheClientStartedClosesAtOnce() throws Exception {
    var guarded = guarded(Duration.ofMinutes(1));
    ServletInputStream in = guarded.getInputStream();
    container.in.send(ping(1), CLOSE_1000);
    assertThat(tyrusReads(in)).hasSize(ping(1).length + CLOSE_1000.length);

    guarded.close(); // Tyrus has answered the client's close
    timer.runDue();
    assertThat(container.closes).hasValue(1);
  }

  @Test
  void afterTheServersCloseTheClientsBytesAreDroppedUntilItsCloseFrame() throws Exception {
    var guarded = guarded(Duration.ofMinutes(1));
    ServletInputStream in = guarded.getInputStream();
    container.in.send(ping(1));
    assertThat(tyrusReads(in)).isEqualTo(ping(1));

    guarded.close(); // the server closed, 4429: the client is still sending
    assertThat(container.closes).as("TCP stays open for the client's answer").hasValue(0);
    container.in.send(ping(2), ping(3));
    assertThat(tyrusReads(in)).as("nothing more reaches Tyrus").isEmpty();
    assertThat(container.closes).hasValue(0);

    container.in.send(CLOSE_1000);
    tyrusReads(in);
    timer.runDue();
    assertThat(container.closes).as("the client's close frame read: nothing unread").hasValue(1);
    assertThat(guarded.isOpen()).isFalse();
  }

  @Test
  void aCloseFrameSplitAcrossReadsCountsOnlyWhenWhole() throws Exception {
    var guarded = guarded(Duration.ofMinutes(1));
    ServletInputStream in = guarded.getInputStream();
    guarded.close();
    container.in.send(Arrays.copyOf(CLOSE_1000, 3));
    tyrusReads(in);
    assertThat(container.closes).hasValue(0);
    container.in.send(Arrays.copyOfRange(CLOSE_1000, 3, CLOSE_1000.length));
    tyrusReads(in);
    timer.runDue();
    assertThat(container.closes).hasValue(1);
  }

  @Test
  void theEndOfTheClientsStreamEndsTheLinger() throws Exception {
    var read = guarded(Duration.ofMinutes(1));
    ServletInputStream in = read.getInputStream();
    read.close();
    container.in.end();
    assertThat(in.read(new byte[16])).isEqualTo(-1);
    timer.runDue();
    assertThat(container.closes).hasValue(1);
  }

  @Test
  void theContainerSeeingTheEndOfStreamEndsTheLingerToo() throws Exception {
    var guarded = guarded(Duration.ofMinutes(1));
    ServletInputStream in = guarded.getInputStream();
    int[] tyrusHeard = {0};
    in.setReadListener(
        new ReadListener() {
          @Override
          public void onDataAvailable() {}

          @Override
          public void onAllDataRead() {
            tyrusHeard[0]++;
          }

          @Override
          public void onError(Throwable t) {}
        });
    guarded.close();
    container.in.listener.onAllDataRead();
    timer.runDue();
    assertThat(container.closes).hasValue(1);
    assertThat(tyrusHeard[0]).as("Tyrus is still told").isEqualTo(1);
  }

  @Test
  void theReadingThreadNeverClosesTheConnectionItHandsTheCloseOff() throws Exception {
    // Closing inside the container's read callback deadlocked with Grizzly's selector thread
    // when the client closed at the same moment (ChurnIT, jstack): every close goes elsewhere.
    var guarded = guarded(Duration.ofSeconds(2));
    ServletInputStream in = guarded.getInputStream();
    guarded.close();
    container.in.send(CLOSE_1000);
    container.in.end();
    tyrusReads(in);
    assertThat(container.closes).as("not on the reading thread").hasValue(0);
    assertThat(timer.delaysMillis).containsExactly(2000L, 0L);
    timer.runDue();
    assertThat(container.closes).hasValue(1);
  }

  @Test
  void aClientThatNeverAnswersIsClosedAfterTheLinger() throws Exception {
    var guarded = guarded(Duration.ofSeconds(2));
    guarded.getInputStream();
    guarded.close();
    assertThat(timer.delaysMillis).containsExactly(2000L);
    assertThat(container.closes).hasValue(0);
    timer.fire();
    timer.runDue();
    assertThat(container.closes).hasValue(1);
    assertThat(guarded.isOpen()).isFalse();
  }

  @Test
  void theClientsCloseFrameClosesBeforeTheTimerWhichThenDoesNothing() throws Exception {
    var guarded = guarded(Duration.ofSeconds(2));
    ServletInputStream in = guarded.getInputStream();
    guarded.close();
    container.in.send(CLOSE_1000);
    container.in.end();
    tyrusReads(in);
    timer.runDue();
    assertThat(container.closes).as("before the timer").hasValue(1);
    assertThat(timer.cancelled).as("the timer is cancelled").hasValue(1);
    guarded.close();
    in.read(new byte[8]);
    timer.fire();
    timer.runDue();
    assertThat(container.closes).as("once, whatever else ends it").hasValue(1);
  }

  @Test
  void aServerCloseWhileTheReaderFeedsTheClientsCloseStillClosesAtOnce() throws Exception {
    // The close starts on another thread while the reader is inside the container's read, past
    // its look at the linger: the client's close frame then goes the normal way, to Tyrus.
    var guarded = guarded(Duration.ofSeconds(2));
    ServletInputStream in = guarded.getInputStream();
    container.in.send(CLOSE_1000);
    container.in.duringRead = guarded::close;
    assertThat(tyrusReads(in)).as("to Tyrus, which answers it").isEqualTo(CLOSE_1000);
    guarded.close(); // Tyrus's own close, after its answer
    timer.runDue();
    assertThat(container.closes).as("without waiting for the timer").hasValue(1);
  }

  @Test
  void afterAMessageOverTheLimitTheClientsAnswerIsStillRecognised() throws Exception {
    var guarded = guarded(Duration.ofSeconds(2));
    ServletInputStream in = guarded.getInputStream();
    byte[] big = new byte[MAX + 5000];
    byte[] header = {(byte) 0x81, (byte) (0x80 | 127), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k < 8; k++) {
      header[2 + k] = (byte) ((long) big.length >> (8 * (7 - k)));
    }
    container.in.send(header, Arrays.copyOf(big, 3000));
    byte[] toTyrus = tyrusReads(in);
    assertThat(toTyrus[0] & 0xFF).as("a close frame in the client's name, 1009").isEqualTo(0x88);
    guarded.close(); // Tyrus answered with 1009
    assertThat(container.closes).hasValue(0);
    container.in.send(Arrays.copyOf(big, big.length - 3000), ping(9), CLOSE_1000);
    tyrusReads(in);
    timer.runDue();
    assertThat(container.closes).as("the rest skipped, the client's close seen").hasValue(1);
  }

  @Test
  void anErrorTheContainerReportsEndsTheLinger() throws Exception {
    var guarded = guarded(Duration.ofSeconds(2));
    ServletInputStream in = guarded.getInputStream();
    Throwable[] tyrusHeard = {null};
    in.setReadListener(
        new ReadListener() {
          @Override
          public void onDataAvailable() {}

          @Override
          public void onAllDataRead() {}

          @Override
          public void onError(Throwable t) {
            tyrusHeard[0] = t;
          }
        });
    guarded.close();
    IOException reset = new IOException("Connection reset by peer");
    container.in.listener.onError(reset);
    timer.runDue();
    assertThat(container.closes).hasValue(1);
    assertThat(tyrusHeard[0]).isSameAs(reset);
  }

  @Test
  void withoutATimerItClosesAtOnceAsTyrusDoes() throws Exception {
    var guarded =
        new GuardedUpgradeHandler.Guarded(
            container, new FrameInspector(65_536), null, Duration.ofMinutes(1));
    guarded.getInputStream();
    guarded.close();
    timer.runDue();
    assertThat(container.closes).hasValue(1);
  }
}
