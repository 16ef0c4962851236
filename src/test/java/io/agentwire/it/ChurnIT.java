package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Nothing outlives its connection: thousands of connections are opened and closed (round trips,
 * closes during set-up, refused tokens), and afterwards the server process holds none of their
 * objects and its live heap is back near its baseline. Measured in the server with {@code jcmd}.
 */
@ExtendWith(ArquillianExtension.class)
class ChurnIT {

  static final int CONNECTIONS = 3000;
  static final int AT_ONCE = 64;

  /**
   * Live heap may grow this much over the baseline: the container's pools and caches warm up
   * (Grizzly's filter-chain states and HTTP chunks grew most, a few per pooled worker). Before the
   * sweeper, the same churn left about 48 MiB more, with every closed connection held.
   */
  static final long HEAP_SLACK_BYTES = 32L << 20;

  /**
   * How long the heap may take to come back within {@link #HEAP_SLACK_BYTES}: Grizzly's keep-alive
   * expirer lets closed connections go only after its 30 s timeout, in batches.
   */
  static final Duration RELEASE_WAIT = Duration.ofSeconds(180);

  private static final String CONNECTION = "io.agentwire.connection.control.Connection";
  private static final String TYRUS_SESSION = "org.glassfish.tyrus.core.TyrusSession";
  private static final String STREAM_SESSION = "io.agentwire.session.entity.StreamSession";

  /** agentwire.session.max-per-subject: every connection here is of one subject. */
  private static final int SESSIONS_PER_SUBJECT = 32;

  private static final String GRIZZLY_CONNECTION =
      "org.glassfish.grizzly.nio.transport.TCPNIOConnection";
  private static final String UPGRADE_REQUEST =
      "com.sun.enterprise.web.pwc.connector.coyote.PwcCoyoteRequest";

  @Deployment(testable = false)
  static WebArchive deployment() {
    // Production profile, the test key, tokens valid for an hour: as the leak was measured.
    return Deployments.agentwire(
        SetupWindow.trustingTestKey(
            """
        mp.config.profile=production
        agentwire.limits.connections-per-subject=100000
        """));
  }

  @ArquillianResource URL base;

  @Test
  void closedConnectionsLeaveNothingBehind() throws Exception {
    churn(200); // warm-up: classes, pools, JIT, metric series
    ServerHeap.Histogram before = ServerHeap.histogram();

    churn(CONNECTIONS);
    Awaitility.await().atMost(Ws.WAIT).untilAsserted(() -> assertThat(openConnections()).isZero());
    // A close still finishing on a server thread (its stack holds the connection for a moment)
    // is not a leak: the objects must be gone within a bounded wait, each poll a full GC. So must
    // the heap growth: Grizzly's keep-alive expirer holds every closed connection (its
    // HttpServerFilter$KeepAliveContext) until the listener's keep-alive timeout, 30 s, has
    // passed, and it lets them go in batches (found with a heap dump, see the README). Retention
    // of agentwire's would never come back within the slack.
    ServerHeap.Histogram[] last = {null};
    int[] polls = {0};
    Awaitility.await("no connection object is reachable on the server, the heap back in bounds")
        .atMost(RELEASE_WAIT)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              polls[0]++;
              last[0] = ServerHeap.histogram();
              return last[0].count(CONNECTION) == 0
                  && last[0].count(TYRUS_SESSION) == 0
                  && last[0].count(STREAM_SESSION) <= SESSIONS_PER_SUBJECT
                  && last[0].totalBytes() < before.totalBytes() + HEAP_SLACK_BYTES;
            });
    ServerHeap.Histogram after = last[0];

    System.out.printf(
        "churn: %d connections; live heap after GC %d KiB before, %d KiB after (%+d KiB);"
            + " Connection %d -> %d, TyrusSession %d -> %d (after %d histograms)%n",
        CONNECTIONS,
        before.totalBytes() >> 10,
        after.totalBytes() >> 10,
        (after.totalBytes() - before.totalBytes()) >> 10,
        before.count(CONNECTION),
        after.count(CONNECTION),
        before.count(TYRUS_SESSION),
        after.count(TYRUS_SESSION),
        polls[0]);
    System.out.printf(
        "churn: TCPNIOConnection %d -> %d, PwcCoyoteRequest %d -> %d%n",
        before.count(GRIZZLY_CONNECTION),
        after.count(GRIZZLY_CONNECTION),
        before.count(UPGRADE_REQUEST),
        after.count(UPGRADE_REQUEST));
    System.out.println("churn: classes that grew most: " + ServerHeap.growth(before, after, 12));
    System.out.printf(
        "churn: StreamSession %d -> %d (sessions outlive connections for their retention)%n",
        before.count(STREAM_SESSION), after.count(STREAM_SESSION));
    // Sessions are kept after their connections by design (PROTOCOL section 6), but one subject
    // that reconnects without resuming holds no more than its cap.
    assertThat(after.count(STREAM_SESSION))
        .as("sessions of the one subject after churn")
        .isLessThanOrEqualTo(SESSIONS_PER_SUBJECT);
    assertThat(after.count(CONNECTION)).as("live agentwire connections after churn").isZero();
    assertThat(after.count(TYRUS_SESSION)).as("live Tyrus sessions after churn").isZero();
    assertThat(after.totalBytes())
        .as("live heap after churn, against %d before", before.totalBytes())
        .isLessThan(before.totalBytes() + HEAP_SLACK_BYTES);

    // Reported, not asserted: Grizzly's own connection objects (below Tyrus, not agentwire's)
    // stay reachable after their sockets closed: in the keep-alive expirer's queue until their
    // timeout, and pinned by recycled requests in each HTTP worker's ThreadCache (up to 16 per
    // thread, each holding the last connection it served; Payara Micro 7.2026.11). Nearly all of
    // the heap growth above is theirs. A container finding, written up in the README.
  }

  /** Opens and closes {@code n} connections, {@link #AT_ONCE} at a time, in three manners. */
  private void churn(int n) throws Exception {
    String token = TestTokens.valid(TestTokens.rsaKey(), "churn", "agentwire-user");
    Semaphore slots = new Semaphore(AT_ONCE);
    List<Future<?>> done = new ArrayList<>();
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        int kind = i % 10;
        slots.acquire();
        done.add(
            clients.submit(
                () -> {
                  try {
                    once(kind, token);
                  } finally {
                    slots.release();
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
    }
  }

  private void once(int kind, String token) {
    if (kind == 0) {
      // Refused: a token that does not verify closes with 4401.
      Ws ws = Ws.connect(base, token + "x");
      assertThat(ws.awaitClose().code()).isEqualTo(4401);
      return;
    }
    Ws ws = Ws.connect(base, token);
    if (kind == 1) {
      ws.close(); // gone during set-up, before or after ready
      ws.closedWithin(Ws.WAIT).orElseThrow();
      return;
    }
    JsonObject ready = ws.next("ready");
    assertThat(ready.getString("connectionId")).isNotBlank();
    ws.send("{\"type\":\"ping\",\"id\":1}");
    assertThat(ws.next("pong").getInt("id")).isEqualTo(1);
    ws.close();
    ws.closedWithin(Ws.WAIT).orElseThrow();
  }

  private long openConnections() {
    String admin = TestTokens.valid(TestTokens.rsaKey(), "ops", "agentwire-admin");
    JsonObject states =
        Http.get(base, "/api/diagnostics", admin).json().getJsonObject("connectionsByState");
    return states.values().stream().mapToLong(v -> ((jakarta.json.JsonNumber) v).longValue()).sum();
  }
}
