package io.agentwire.connection.boundary;

import io.agentwire.connection.control.FrameInspector;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;

/**
 * Tyrus's own upgrade handler, reading the client's bytes through a {@link FrameInspector}, so that
 * a frame that breaks RFC 6455 or the message limit is refused at its header, before Tyrus buffers
 * any of it. {@link HandshakeFilter} asks the container for this class where Tyrus asks for its own
 * ({@code TyrusServletUpgrade.upgrade} calls {@code request.upgrade(
 * TyrusHttpUpgradeHandler.class)} and configures what it gets: Tyrus 2.2.2, read with javap).
 */
public class GuardedUpgradeHandler extends TyrusHttpUpgradeHandler {

  private volatile long maxMessageBytes = 65_536;

  /** Set before the container calls {@link #init}. */
  void maxMessageBytes(long max) {
    this.maxMessageBytes = max;
  }

  @Override
  public void init(WebConnection wc) {
    super.init(new Guarded(wc, new FrameInspector(maxMessageBytes)));
  }

  /** The connection, with its input read through the inspector. */
  private record Guarded(WebConnection wc, FrameInspector inspector) implements WebConnection {
    @Override
    public ServletInputStream getInputStream() throws IOException {
      return new GuardedInputStream(wc.getInputStream(), inspector);
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      return wc.getOutputStream();
    }

    @Override
    public void close() throws Exception {
      wc.close();
    }
  }

  /**
   * What the client sent, as far as the inspector lets it pass. Tyrus reads it in non-blocking mode
   * ({@code while (is.isReady()) read(byte[available()])}); a read may return fewer bytes than were
   * available (a header held back until it is whole) or none.
   */
  static final class GuardedInputStream extends ServletInputStream {

    private static final int KEEP_BYTES = 16 * 1024;

    private final ServletInputStream in;
    private final FrameInspector inspector;
    private byte[] raw = new byte[0];
    private byte[] pending = new byte[0];
    private int pendingAt;
    private int pendingEnd;

    GuardedInputStream(ServletInputStream in, FrameInspector inspector) {
      this.in = in;
      this.inspector = inspector;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (pendingAt == pendingEnd) {
        if (inspector.fault().isPresent()) {
          // Refused: what the client still sends is read and dropped until the container has
          // closed the connection after the close frame.
          byte[] drop = new byte[Math.max(1, Math.min(len, 8192))];
          int n = in.read(drop, 0, drop.length);
          return n < 0 ? -1 : 0;
        }
        // Both buffers are kept between reads (no allocation per message) unless large: a
        // connection that once read a big frame holds no big buffer afterwards.
        if (raw.length < len) {
          raw = new byte[len];
        }
        int n = in.read(raw, 0, len);
        if (n <= 0) {
          return n;
        }
        if (pending.length < FrameInspector.maxOutput(n)) {
          pending = new byte[FrameInspector.maxOutput(n)];
        }
        pendingAt = 0;
        pendingEnd = inspector.feed(raw, 0, n, pending, 0);
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

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
