package io.agentwire.connection.boundary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.connection.control.FrameInspector;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
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

    synchronized void send(byte[]... frames) {
      for (byte[] f : frames) {
        chunks.add(f);
      }
    }

    synchronized void end() {
      eof = true;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
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

  final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  final Container container = new Container();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  GuardedUpgradeHandler.Guarded guarded(Duration linger) {
    return new GuardedUpgradeHandler.Guarded(container, new FrameInspector(65_536), timer, linger);
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
    assertThat(container.closes).as("the client's close frame read: nothing unread").hasValue(1);
    assertThat(guarded.isOpen()).isFalse();
  }

  @Test
  void aCloseFrameSplitAcrossReadsCountsOnlyWhenWhole() throws Exception {
    var guarded = guarded(Duration.ofMinutes(1));
    ServletInputStream in = guarded.getInputStream();
    guarded.close();
    container.in.send(java.util.Arrays.copyOf(CLOSE_1000, 3));
    tyrusReads(in);
    assertThat(container.closes).hasValue(0);
    container.in.send(java.util.Arrays.copyOfRange(CLOSE_1000, 3, CLOSE_1000.length));
    tyrusReads(in);
    assertThat(container.closes).hasValue(1);
  }

  @Test
  void theEndOfTheClientsStreamEndsTheLinger() throws Exception {
    var read = guarded(Duration.ofMinutes(1));
    ServletInputStream in = read.getInputStream();
    read.close();
    container.in.end();
    assertThat(in.read(new byte[16])).isEqualTo(-1);
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
    assertThat(container.closes).hasValue(1);
    assertThat(tyrusHeard[0]).as("Tyrus is still told").isEqualTo(1);
  }

  @Test
  void aClientThatNeverAnswersIsClosedAfterTheLinger() throws Exception {
    var guarded = guarded(Duration.ofMillis(200));
    guarded.getInputStream();
    guarded.close();
    assertThat(container.closes).hasValue(0);
    await().atMost(Duration.ofSeconds(10)).until(() -> container.closes.get() == 1);
    assertThat(guarded.isOpen()).isFalse();
  }

  @Test
  void closedOnceHoweverManyThingsEndIt() throws Exception {
    var guarded = guarded(Duration.ofMillis(50));
    ServletInputStream in = guarded.getInputStream();
    guarded.close();
    container.in.send(CLOSE_1000);
    container.in.end();
    tyrusReads(in);
    guarded.close();
    in.read(new byte[8]);
    // The timer fires as well, bounded: still one close.
    await()
        .pollDelay(Duration.ofMillis(100))
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(container.closes).hasValue(1));
  }

  @Test
  void withoutATimerItClosesAtOnceAsTyrusDoes() throws Exception {
    var guarded =
        new GuardedUpgradeHandler.Guarded(
            container, new FrameInspector(65_536), null, Duration.ofMinutes(1));
    guarded.getInputStream();
    guarded.close();
    assertThat(container.closes).hasValue(1);
  }
}
