package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.security.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that reads too slowly (PROTOCOL section 8, 4408): it authenticates, takes {@code ready},
 * then reads nothing while it makes the server produce far more output than {@code
 * agentwire.limits.outbound-bytes}; once the server has given up on it, it reads again.
 *
 * <p>What makes this work on Payara Micro 6.2025.10 (Tyrus 2.1.5 servlet container, Grizzly 4):
 * Tyrus completes an asynchronous send once the frame has been handed to Grizzly's per-connection
 * write queue, and hands it over only while {@code ServletOutputStream.isReady()}, i.e. while that
 * queue is under its limit; otherwise the frame, and its completion, wait in Tyrus's own queue
 * ({@code TyrusServletWriter.write}). The back-pressure therefore reaches our outbound queue, but
 * only after the container has buffered up to its limit: 4 x the socket's SO_SNDBUF at accept
 * ({@code TCPNIOConnection.resetProperties}, as Payara's {@code socket-write-buffer-size} is -1),
 * about 7.5 MiB per connection on loopback here, plus the kernel's send buffer (about 3 MB). So
 * 4408 comes after roughly 11 MB here, not after 128 KiB; {@link #MAX_RUNS} bounds the volume.
 *
 * <p>Whether the close frame reaches the client: Tyrus closes the connection right after writing a
 * close frame and fails what is still queued in its own writer; see {@code Connections.close}.
 */
@ExtendWith(ArquillianExtension.class)
class SlowReaderIT {

  private static final int OUTBOUND_BYTES = 131_072;

  /** Each echo run answers its input back in {@code agent_completed}. */
  private static final int INPUT_CHARS = 48 * 1024;

  /**
   * About 19 MB of output: more than socket buffers, the container's write queue and the outbound
   * bound together; the server must have given up before.
   */
  private static final int MAX_RUNS = 400;

  private static final Duration BOUND = Duration.ofSeconds(30);

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire(
        SetupWindow.trustingTestKey(
            """
        mp.config.profile=production
        agentwire.limits.outbound-bytes=%d
        agentwire.limits.messages-per-second=10000
        agentwire.limits.runs-per-connection=64
        """
                .formatted(OUTBOUND_BYTES)));
  }

  @ArquillianResource URL base;

  @Test
  void aClientThatStopsReadingIsClosedWith4408AndItsEventsStayInTheSession() throws Exception {
    String admin = TestTokens.valid(TestTokens.rsaKey(), "ops", "agentwire-admin");
    double closesBefore = Http.metric(base, "agentwire_closes_total", "code", "4408");

    try (SlowClient client = SlowClient.open(base, SetupWindow.token("slow-reader"), 4096)) {
      JsonObject ready = client.json(client.next());
      assertThat(ready.getString("type")).isEqualTo("ready");
      String id = ready.getString("connectionId");
      long readyBytes = client.bytesRead();

      // From here on the client reads nothing until the server has given up on it.
      String input = "x".repeat(INPUT_CHARS);
      long start = System.nanoTime();
      int sent = 0;
      while (sent < MAX_RUNS && !givenUp(id, admin)) {
        client.sendText(
            "{\"type\":\"run\",\"agent\":\"echo\",\"input\":\""
                + input
                + "\",\"runId\":\"r"
                + sent
                + "\"}");
        sent++;
      }
      await("the server gives up on the client")
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> givenUp(id, admin));
      Duration tookToGiveUp = Duration.ofNanos(System.nanoTime() - start);

      // The client reads again: what the server had written before giving up, then the close.
      List<Long> seqs = new ArrayList<>();
      SlowClient.Frame close = null;
      IOException ended = null;
      try {
        while (close == null) {
          SlowClient.Frame f = client.next();
          if (f.opcode() == 0x8) {
            close = f;
          } else if (f.opcode() == 0x1) {
            JsonObject m = client.json(f);
            if (m.containsKey("seq")) {
              seqs.add(m.getJsonNumber("seq").longValue());
            }
          }
        }
      } catch (IOException e) {
        ended = e;
      }
      long delivered = client.bytesRead() - readyBytes;

      await("the close reaches the server's books")
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> diagnostics(id, admin).getInt("closeCode") != 0);
      JsonObject diagnostics = diagnostics(id, admin);
      long lastSeq = diagnostics.getJsonNumber("lastSeq").longValue();
      System.out.printf(
          "SlowReaderIT: runs sent %d, given up after %d ms, bytes delivered after"
              + " ready %d, events delivered %d (max seq %d), session lastSeq %d, close frame %s,"
              + " read ended with %s%n",
          sent,
          tookToGiveUp.toMillis(),
          delivered,
          seqs.size(),
          seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1),
          lastSeq,
          close == null ? null : close.closeCode() + " " + close.closeReason(),
          ended);

      assertThat(sent).as("runs sent before the server gave up").isLessThan(MAX_RUNS);
      assertThat(diagnostics.getInt("closeCode"))
          .as("closeCode in %s", diagnostics)
          .isEqualTo(4408);
      assertThat(Http.metric(base, "agentwire_closes_total", "code", "4408"))
          .isEqualTo(closesBefore + 1);
      assertThat(close)
          .as("a close frame behind the delivered data (read ended with %s)", ended)
          .isNotNull();
      assertThat(close.closeCode()).isEqualTo(4408);
      assertThat(close.closeReason()).isEqualTo("too slow");
      // G6 on what was delivered: 1, 2, 3, ... without a gap.
      for (int i = 0; i < seqs.size(); i++) {
        assertThat(seqs.get(i)).isEqualTo(i + 1L);
      }
      // The rest was produced by the session but dropped from the outbound queue. That those
      // events are still retained in the session cannot be observed from outside yet: there is no
      // resume (PROTOCOL section 6) and diagnostics shows only the session's lastSeq.
      assertThat(lastSeq)
          .as("events the session produced beyond those delivered")
          .isGreaterThan(seqs.size());
    }
  }

  /** Whether the server has decided to close the connection (CLOSING) or already has. */
  private boolean givenUp(String connectionId, String admin) {
    String state = diagnostics(connectionId, admin).getString("state");
    return state.equals("CLOSING") || state.equals("CLOSED") || state.equals("FAILED");
  }

  private JsonObject diagnostics(String connectionId, String admin) {
    Http.Answer a = Http.get(base, "/api/diagnostics/connections/" + connectionId, admin);
    assertThat(a.status()).as("diagnostics: %s", a).isEqualTo(200);
    return a.json();
  }

  /**
   * A WebSocket client over a plain socket whose receive buffer is made small before it connects
   * (the window it announces is fixed then), and which reads only when told to.
   */
  static final class SlowClient implements AutoCloseable {

    record Frame(int opcode, byte[] payload) {
      int closeCode() {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
      }

      String closeReason() {
        return payload.length > 2
            ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
            : "";
      }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final CountingInput counted;
    private final DataInputStream in;
    private final OutputStream out;

    private SlowClient(Socket socket, InputStream raw) throws IOException {
      this.socket = socket;
      this.counted = new CountingInput(raw);
      this.in = new DataInputStream(counted);
      this.out = socket.getOutputStream();
    }

    static SlowClient open(URL base, String token, int receiveBuffer) throws IOException {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(receiveBuffer); // before connect: it sets the window scale
      socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 10_000);
      socket.setSoTimeout((int) Ws.WAIT.toMillis());
      byte[] nonce = new byte[16];
      RANDOM.nextBytes(nonce);
      String request =
          "GET /ws HTTP/1.1\r\n"
              + "Host: 127.0.0.1:"
              + base.getPort()
              + "\r\n"
              + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: "
              + Base64.getEncoder().encodeToString(nonce)
              + "\r\n"
              + "Sec-WebSocket-Version: 13\r\n"
              + "Authorization: Bearer "
              + token
              + "\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      InputStream raw = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = raw.read();
        if (b < 0) {
          throw new IOException("connection closed during the handshake");
        }
        head.write(b);
        matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      String answer = head.toString(StandardCharsets.ISO_8859_1);
      assertThat(answer).as("the upgrade answer").startsWith("HTTP/1.1 101");
      return new SlowClient(socket, raw);
    }

    long bytesRead() {
      return counted.count;
    }

    void sendText(String text) throws IOException {
      byte[] payload = text.getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
      frame.write(0x81);
      if (payload.length < 126) {
        frame.write(0x80 | payload.length);
      } else if (payload.length < 65536) {
        frame.write(0x80 | 126);
        frame.write(payload.length >>> 8);
        frame.write(payload.length & 0xff);
      } else {
        frame.write(0x80 | 127);
        for (int i = 7; i >= 0; i--) {
          frame.write((int) (((long) payload.length >>> (8 * i)) & 0xff));
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

    /** The next frame; throws SocketTimeoutException after {@link Ws#WAIT}, EOF at the end. */
    Frame next() throws IOException {
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

    JsonObject json(Frame f) {
      return Json.createReader(new StringReader(new String(f.payload(), StandardCharsets.UTF_8)))
          .readObject();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }

    private static final class CountingInput extends InputStream {
      private final InputStream in;
      long count;

      CountingInput(InputStream in) {
        this.in = in;
      }

      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
          count++;
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
          count += n;
        }
        return n;
      }
    }
  }
}
