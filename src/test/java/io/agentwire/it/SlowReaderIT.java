package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        agentwire.session.max-events=100000
        agentwire.session.max-bytes=134217728
        """
                .formatted(OUTBOUND_BYTES)));
  }

  @ArquillianResource URL base;

  @Test
  void aClientThatStopsReadingIsClosedWith4408AndItsEventsStayInTheSession() throws Exception {
    String admin = TestTokens.valid(TestTokens.rsaKey(), "ops", "agentwire-admin");
    double closesBefore = Http.metric(base, "agentwire_closes_total", "code", "4408");

    try (RawWs client =
        RawWs.open(
            base,
            null,
            Map.of("Authorization", "Bearer " + SetupWindow.token("slow-reader")),
            4096)) {
      assertThat(client.status()).as("the upgrade answer").isEqualTo(101);
      JsonObject ready = RawWs.json(client.next());
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
      RawWs.Frame close = null;
      IOException ended = null;
      try {
        while (close == null) {
          RawWs.Frame f = client.next();
          if (f.opcode() == 0x8) {
            close = f;
          } else if (f.opcode() == 0x1) {
            JsonObject m = RawWs.json(f);
            if (m.containsKey("seq")) {
              seqs.add(m.getJsonNumber("seq").longValue());
            }
          }
        }
      } catch (IOException e) {
        ended = e;
      }
      long deliveredBytes = client.bytesRead() - readyBytes;

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
          deliveredBytes,
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
      // The rest was produced by the session but dropped from the outbound queue: it stays in
      // the session, and a resume gets all of it (PROTOCOL section 8: 4408, "resume: nothing is
      // lost"), through an outbound queue of the same small bound, chunk by chunk.
      assertThat(lastSeq)
          .as("events the session produced beyond those delivered")
          .isGreaterThan(seqs.size());
      long delivered = seqs.size();
      Ws resumed =
          Ws.connect(
              base,
              SetupWindow.token("slow-reader"),
              "resume="
                  + java.net.URLEncoder.encode(
                      ready.getString("resumeToken"), java.nio.charset.StandardCharsets.UTF_8)
                  + "&lastSeq="
                  + delivered,
              List.of());
      JsonObject again = resumed.next("ready");
      assertThat(again.getBoolean("resumed")).isTrue();
      assertThat(again.containsKey("gap")).as("nothing lost: %s", again).isFalse();
      long target = again.getJsonNumber("lastSeq").longValue();
      assertThat(target).isGreaterThanOrEqualTo(lastSeq);
      long expected = delivered + 1;
      while (expected <= target) {
        JsonObject e = resumed.next();
        assertThat(e.getJsonNumber("seq").longValue()).isEqualTo(expected++);
      }
      System.out.printf(
          "SlowReaderIT: resumed after seq %d and got %d events, up to seq %d%n",
          delivered, target - delivered, target);
      resumed.close();
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
}
