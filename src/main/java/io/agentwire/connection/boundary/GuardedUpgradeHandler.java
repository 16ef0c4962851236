package io.agentwire.connection.boundary;

import io.agentwire.connection.control.FrameInspector;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;

/**
 * Tyrus's own upgrade handler, reading the client's bytes through a {@link FrameInspector}, so that
 * a frame that breaks RFC 6455 or the message limit is refused at its header, before Tyrus buffers
 * any of it. {@link HandshakeFilter} asks the container for this class where Tyrus asks for its own
 * ({@code TyrusServletUpgrade.upgrade} calls {@code request.upgrade(
 * TyrusHttpUpgradeHandler.class)} and configures what it gets: Tyrus 2.2.2, read with javap).
 *
 * <p>It also closes the TCP connection the way RFC 6455 section 7.1.1 asks, which Tyrus does not:
 * Tyrus closes the connection as soon as its own close frame is written ({@code
 * ProtocolHandler.doClose} calls {@code TyrusServletWriter.close}, which calls {@code
 * WebConnection.close}; javap of Tyrus 2.2). When the client is still sending (a flood closed with
 * 4429), its unread bytes make Linux answer that close with a reset, and the reset can destroy the
 * close frame before the client reads it: the client saw 1006 where the server said 4429 (2 runs in
 * 8 of {@code DefendedConnectionIT}). So after a close the server starts, the connection {@link
 * Guarded lingers}: what the client still sends is read and dropped, and the TCP connection is
 * closed once the client's close frame or its end of stream is read, or after {@link #LINGER} at
 * most. A close the client started closes at once, as before.
 */
public class GuardedUpgradeHandler extends TyrusHttpUpgradeHandler {

  /** How long a closed connection waits for the client's close frame before it closes TCP. */
  static final Duration LINGER = Duration.ofSeconds(2);

  private volatile long maxMessageBytes = 65_536;
  private volatile ScheduledExecutorService timer;

  /** Set before the container calls {@link #init}. */
  void maxMessageBytes(long max) {
    this.maxMessageBytes = max;
  }

  /** Where a lingering close is timed out; set before the container calls {@link #init}. */
  void timer(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  @Override
  public void init(WebConnection wc) {
    super.init(new Guarded(wc, new FrameInspector(maxMessageBytes), timer, LINGER));
  }

  /**
   * The container's connection, with its input read through the inspector, and a close that lingers
   * until the client has said its last.
   */
  static final class Guarded implements WebConnection {
    private final FrameInspector inspector;
    private final ScheduledExecutorService timer;
    private final Duration linger;

    /** The container's connection until it is closed; a timed-out linger holds only this. */
    private final AtomicReference<WebConnection> open;

    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean closeScheduled = new AtomicBoolean();
    private final WebConnection wc;
    private GuardedInputStream in;
    private volatile ScheduledFuture<?> timeout;

    Guarded(
        WebConnection wc,
        FrameInspector inspector,
        ScheduledExecutorService timer,
        Duration linger) {
      this.wc = wc;
      this.open = new AtomicReference<>(wc);
      this.inspector = inspector;
      this.timer = timer;
      this.linger = linger;
    }

    @Override
    public synchronized ServletInputStream getInputStream() throws IOException {
      if (in == null) {
        in = new GuardedInputStream(wc.getInputStream(), inspector, this::lingerEnded);
      }
      return in;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      return wc.getOutputStream();
    }

    /**
     * Tyrus calls this once its close frame is on its way (after the client's close, or after one
     * of the server's own), and again from its own {@code close} when the container reports the end
     * of the stream or an error. A close the server started lingers.
     */
    @Override
    public void close() {
      GuardedInputStream stream;
      synchronized (this) {
        stream = in;
      }
      if (stream == null || timer == null) {
        closeSoon();
        return;
      }
      if (!closing.compareAndSet(false, true)) {
        lingerEnded(); // called again: the client may have said its last meanwhile
        return;
      }
      stream.linger();
      // The reader sets its flags before it looks at closing; this sets closing before it looks
      // at the flags: one of the two sees both, and the connection is closed.
      if (lingerEnded()) {
        return;
      }
      AtomicReference<WebConnection> held = open;
      try {
        Runnable expire = () -> closeNow(held);
        timeout = timer.schedule(expire, linger.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RuntimeException rejected) {
        closeNow(held); // the executor is shutting down: so is the container
      }
      if (!isOpen()) {
        cancelTimeout(); // the client said its last while the timer was being set
      }
    }

    private void cancelTimeout() {
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }

    /** Closes the connection if it lingers and the client has said its last; true if it did. */
    private boolean lingerEnded() {
      GuardedInputStream stream;
      synchronized (this) {
        stream = in;
      }
      if (closing.get() && (inspector.closeReceived() || (stream != null && stream.ended()))) {
        closeSoon();
        return true;
      }
      return false;
    }

    /**
     * Closes the container's connection on the timer's thread, never on the caller's. The caller is
     * often the container's reading thread, inside its read callback, holding the lock of Payara's
     * {@code InputBuffer$ReadHandlerImpl}; {@code WebConnectionImpl.close} then takes the lock of
     * Grizzly's {@code Response$SuspendedContextImpl}. When the client closes its end at the same
     * moment, Grizzly's selector thread takes the two locks the other way round ({@code
     * SuspendCloseListener.onClosed}, then {@code InputBuffer.terminate}): a deadlock, seen in
     * ChurnIT, after which the selector thread accepted no connection any more (jstack, Payara
     * Micro 7.2026.11). Tyrus itself closes on the reading thread after a client's close frame, so
     * it can meet the same deadlock when the client closes TCP at once; this closes every
     * connection elsewhere.
     */
    private void closeSoon() {
      if (!isOpen() || !closeScheduled.compareAndSet(false, true)) {
        return;
      }
      AtomicReference<WebConnection> held = open;
      Runnable close =
          () -> {
            if (closeNow(held)) {
              cancelTimeout();
            }
          };
      if (timer == null) {
        close.run();
        return;
      }
      try {
        timer.schedule(close, 0, TimeUnit.MILLISECONDS);
      } catch (RuntimeException rejected) {
        close.run(); // the executor is shutting down: so is the container
      }
    }

    /** Whether the container's connection is still open (tests). */
    boolean isOpen() {
      return open.get() != null;
    }

    /** Closes the container's connection unless it was; whether this call closed it. */
    private static boolean closeNow(AtomicReference<WebConnection> open) {
      WebConnection wc = open.getAndSet(null);
      if (wc == null) {
        return false;
      }
      try {
        wc.close();
      } catch (Exception e) {
        // As Tyrus's own close listener: nothing left to tell anyone.
        LOG.log(System.Logger.Level.DEBUG, "closing a connection failed: {0}", e.getMessage());
      }
      return true;
    }
  }

  private static final System.Logger LOG = System.getLogger("agentwire.connection");

  /**
   * What the client sent, as far as the inspector lets it pass. Tyrus reads it in non-blocking mode
   * ({@code while (is.isReady()) read(byte[available()])}); a read may return fewer bytes than were
   * available (a header held back until it is whole) or none.
   */
  static final class GuardedInputStream extends ServletInputStream {

    private static final int KEEP_BYTES = 16 * 1024;
    private static final int DROP_BYTES = 8192;

    private final ServletInputStream in;
    private final FrameInspector inspector;
    private final Runnable saidItsLast;
    private volatile boolean lingering;
    private volatile boolean ended;
    private byte[] raw = new byte[0];
    private byte[] pending = new byte[0];
    private int pendingAt;
    private int pendingEnd;

    /**
     * @param saidItsLast told, on the reading thread, when the client's close frame or end of
     *     stream has been read (and whenever a lingering stream reads more)
     */
    GuardedInputStream(ServletInputStream in, FrameInspector inspector, Runnable saidItsLast) {
      this.in = in;
      this.inspector = inspector;
      this.saidItsLast = saidItsLast;
    }

    /**
     * The connection is closed for Tyrus: from now on what the client sends is read and dropped.
     */
    void linger() {
      lingering = true;
    }

    /** Whether the client's end of stream was read (or reading failed). */
    boolean ended() {
      return ended;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (lingering) {
        return drop();
      }
      if (pendingAt == pendingEnd) {
        if (inspector.fault().isPresent()) {
          // Refused: what the client still sends is read and dropped until the container has
          // closed the connection after the close frame.
          return drop();
        }
        // Both buffers are kept between reads (no allocation per message) unless large: a
        // connection that once read a big frame holds no big buffer afterwards.
        if (raw.length < len) {
          raw = new byte[len];
        }
        int n = readIn(raw, len);
        if (n <= 0) {
          return n;
        }
        if (pending.length < FrameInspector.maxOutput(n)) {
          pending = new byte[FrameInspector.maxOutput(n)];
        }
        pendingAt = 0;
        pendingEnd = inspector.feed(raw, 0, n, pending, 0);
        if (inspector.closeReceived()) {
          // A close the server started on another thread may have looked before this was fed.
          saidItsLast.run();
        }
        if (raw.length > KEEP_BYTES) {
          raw = new byte[0];
        }
      }
      int n = Math.min(len, pendingEnd - pendingAt);
      System.arraycopy(pending, pendingAt, b, off, n);
      pendingAt += n;
      if (pendingAt == pendingEnd) {
        pendingAt = 0;
        pendingEnd = 0;
        if (pending.length > KEEP_BYTES) {
          pending = new byte[0];
        }
      }
      return n;
    }

    /**
     * Reads what is ready and drops it: after a fault, or once the connection lingers. The
     * inspector still follows the frames where it can, for the client's close frame. Everything
     * ready is read here, in one call: Tyrus allocates a buffer of {@code available()} bytes for
     * each call it makes.
     */
    private int drop() throws IOException {
      if (raw.length < DROP_BYTES) {
        raw = new byte[DROP_BYTES];
      }
      if (pending.length < FrameInspector.maxOutput(DROP_BYTES)) {
        pending = new byte[FrameInspector.maxOutput(DROP_BYTES)];
      }
      int n;
      do {
        n = readIn(raw, DROP_BYTES);
        if (n > 0) {
          if (inspector.fault().isPresent()) {
            inspector.follow(raw, 0, n);
          } else {
            inspector.feed(raw, 0, n, pending, 0);
          }
        }
      } while (n > 0 && in.isReady());
      pendingAt = 0;
      pendingEnd = 0;
      saidItsLast.run();
      return n < 0 ? -1 : 0;
    }

    private int readIn(byte[] into, int len) throws IOException {
      int n;
      try {
        n = in.read(into, 0, len);
      } catch (IOException e) {
        ended = true;
        saidItsLast.run();
        throw e;
      }
      if (n < 0) {
        ended = true;
        saidItsLast.run();
      }
      return n;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n;
      do {
        n = read(one, 0, 1);
      } while (n == 0 && isReady());
      return n <= 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int available() throws IOException {
      return (pendingEnd - pendingAt) + in.available();
    }

    @Override
    public boolean isReady() {
      return pendingAt < pendingEnd || in.isReady();
    }

    @Override
    public boolean isFinished() {
      return pendingAt == pendingEnd && in.isFinished();
    }

    /**
     * Tyrus's listener, told besides when the container sees the end of the client's stream or an
     * error: a lingering connection then closes without waiting for its timer.
     */
    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(
          new ReadListener() {
            @Override
            public void onDataAvailable() throws IOException {
              listener.onDataAvailable();
            }

            @Override
            public void onAllDataRead() throws IOException {
              ended = true;
              saidItsLast.run();
              listener.onAllDataRead();
            }

            @Override
            public void onError(Throwable t) {
              ended = true;
              saidItsLast.run();
              listener.onError(t);
            }
          });
    }
  }
}
