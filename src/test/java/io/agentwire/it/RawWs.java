package io.agentwire.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * A WebSocket client over a plain socket, for what a well-behaved client library will not do: stay
 * silent (never answer pings), send malformed frames, or show the HTTP answer to a refused upgrade.
 */
public final class RawWs implements AutoCloseable {

  /** A frame as received. */
  public record Frame(int opcode, byte[] payload) {
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }

    public String closeReason() {
      return payload.length > 2
          ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
          : "";
    }

    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Socket socket;
  private final DataInputStream in;
  private long bytesRead;
  private final OutputStream out;
  private final int status;
  private final String head;
  private final String body;

  private RawWs(Socket socket, int status, String head, String body) throws IOException {
    this.socket = socket;
    InputStream raw = socket.getInputStream();
    this.in =
        new DataInputStream(
            new java.io.FilterInputStream(raw) {
              @Override
              public int read() throws IOException {
                int b = super.read();
                bytesRead += b >= 0 ? 1 : 0;
                return b;
              }

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                bytesRead += Math.max(n, 0);
                return n;
              }
            });
    this.out = socket.getOutputStream();
    this.status = status;
    this.head = head;
    this.body = body;
  }

  /** Sends the upgrade with extra headers and reads the answer's head (and body if not 101). */
  public static RawWs open(URL base, String query, Map<String, String> headers) throws IOException {
    return open(base, query, headers, 0);
  }

  /**
   * As {@link #open(URL, String, Map)}, with the socket's receive buffer set before it connects
   * (the TCP window it announces is fixed then), for a client that reads slowly; 0 keeps the
   * default.
   */
  public static RawWs open(URL base, String query, Map<String, String> headers, int receiveBuffer)
      throws IOException {
    return open(base, "/ws", query, headers, receiveBuffer);
  }

  /** The upgrade to another path of the server. */
  public static RawWs open(
      URL base, String path, String query, Map<String, String> headers, int receiveBuffer)
      throws IOException {
    Socket socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 10_000);
    socket.setSoTimeout((int) Ws.WAIT.toMillis());
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    StringBuilder request =
        new StringBuilder()
            .append("GET ")
            .append(path)
            .append(query == null ? "" : "?" + query)
            .append(" HTTP/1.1\r\n")
            .append("Host: 127.0.0.1:")
            .append(base.getPort())
            .append("\r\n")
            .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .append("Sec-WebSocket-Key: ")
            .append(Base64.getEncoder().encodeToString(nonce))
            .append("\r\nSec-WebSocket-Version: 13\r\n");
    headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
    request.append("\r\n");
    socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
    InputStream raw = socket.getInputStream();
    String head = readHead(raw);
    int status = Integer.parseInt(head.split(" ")[1]);
    String body = status == 101 ? "" : readBody(raw, head, false);
    return new RawWs(socket, status, head, body);
  }

  /** An HTTP answer's head, up to and with its empty line. */
  private static String readHead(InputStream raw) throws IOException {
    ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = raw.read();
      if (b < 0) {
        throw new IOException("connection closed in the answer's head: " + headBytes);
      }
      headBytes.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return headBytes.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * The body after {@code head}: by its Content-Length, else to the end of the stream when {@code
   * toEnd} (an answer with Connection: close), else none.
   */
  private static String readBody(InputStream raw, String head, boolean toEnd) throws IOException {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(head);
    byte[] body =
        m.find()
            ? new DataInputStream(raw).readNBytes(Integer.parseInt(m.group(1)))
            : toEnd ? raw.readAllBytes() : new byte[0];
    return new String(body, StandardCharsets.UTF_8);
  }

  public int status() {
    return status;
  }

  public String head() {
    return head;
  }

  public String body() {
    return body;
  }

  /** A raw HTTP answer: status, head and body. */
  public record HttpAnswer(int status, String head, String body) {}

  /**
   * Sends {@code request} (the whole head, CRLF line ends, and any body) as it is, and reads the
   * answer: for requests no HTTP client would send.
   */
  public static HttpAnswer exchange(URL base, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 10_000);
      socket.setSoTimeout((int) Ws.WAIT.toMillis());
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream raw = socket.getInputStream();
      String head = readHead(raw);
      return new HttpAnswer(Integer.parseInt(head.split(" ")[1]), head, readBody(raw, head, true));
    }
  }

  /** A valid opening handshake's head for {@code path}, with {@code extra} header lines. */
  public static String handshake(
      URL base, String method, String path, String version, String extra) {
    return method
        + " "
        + path
        + " "
        + version
        + "\r\nHost: 127.0.0.1:"
        + base.getPort()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        + extra
        + "\r\n";
  }

  /** Writes bytes as they are: frames no client library would send. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Sends one masked frame, as clients must. */
  public void send(int opcode, byte[] payload) throws IOException {
    sendFrame(true, opcode, payload, payload.length);
  }

  /**
   * Writes a masked frame whose header declares {@code declared} payload bytes and that carries
   * {@code payload} (which may be shorter: a frame cut off).
   */
  private void sendFrame(boolean fin, int opcode, byte[] payload, int declared) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | opcode);
    if (declared < 126) {
      frame.write(0x80 | declared);
    } else if (declared < 65536) {
      frame.write(0x80 | 126);
      frame.write(declared >>> 8);
      frame.write(declared & 0xff);
    } else {
      frame.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        frame.write((int) (((long) declared >>> (8 * i)) & 0xff));
      }
    }
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    out.write(frame.toByteArray());
    out.flush();
  }

  /**
   * Sends the start of a masked frame that declares {@code declared} payload bytes but carries only
   * {@code sent}, with the FIN bit as given, then resets the connection (SO_LINGER 0 makes the
   * close a TCP RST): a client that goes away in the middle of a message.
   */
  public void resetMidFrame(boolean fin, int declared, int sent) throws IOException {
    sendFrame(fin, 0x1, "x".repeat(sent).getBytes(StandardCharsets.UTF_8), declared);
    reset();
  }

  /** Sends the header of a masked text frame of {@code declared} bytes and {@code sent} of them. */
  public void sendFrameStart(int declared, int sent) throws IOException {
    sendFrame(true, 0x1, new byte[sent], declared);
  }

  /** Sends one whole masked text fragment without FIN: a message left unfinished. */
  public void sendFirstFragment(String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    sendFrame(false, 0x1, payload, payload.length);
  }

  /** Resets the connection now (TCP RST). */
  public void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  /** Bytes read after the handshake. */
  public long bytesRead() {
    return bytesRead;
  }

  /** A text frame's JSON. */
  public static jakarta.json.JsonObject json(Frame f) {
    return jakarta.json.Json.createReader(new java.io.StringReader(f.text())).readObject();
  }

  public void sendText(String text) throws IOException {
    send(0x1, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The next frame from the server (pings included: this client never answers them). */
  public Frame next() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long length = b1 & 0x7f;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, payload);
  }

  /** Reads frames until the server's close frame, or fails after the socket timeout. */
  public Frame awaitClose() throws IOException {
    try {
      while (true) {
        Frame f = next();
        if (f.opcode() == 0x8) {
          return f;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no close frame within " + Ws.WAIT, e);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
