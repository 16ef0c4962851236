package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.security.TestTokens;
import jakarta.json.JsonObject;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The drain (PROTOCOL section 9) of a real Payara Micro process with idle and busy clients, once by
 * SIGTERM and once by {@code POST /api/admin/drain}: readiness DOWN before the first close, every
 * client {@code draining} then 1012 (never 1000 or 1006), the busy client's run finished first,
 * {@code reconnectAfterMs} spread, new connections refused with 1013, and the process gone before
 * the grace is over. Each test starts its own process and kills it if the test fails.
 */
class DrainIT {

  static final String ISSUER = "agentwire-development";
  static final Duration SPREAD = Duration.ofSeconds(3);
  static final Duration GRACE = Duration.ofSeconds(20);
  static final int IDLE = 5;
  static final String TEXT = "drain the instance; drain it gently; every client resumes elsewhere";

  static Map<String, String> settings() {
    return Map.of(
        "mp.config.profile",
        "development",
        "agentwire.drain.spread",
        SPREAD.toString(),
        "agentwire.drain.grace",
        GRACE.toString(),
        // analyze's seven steps take about 3.5 s: the busy client's run outlasts the idle closes
        "agentwire.agents.step-delay",
        "PT0.5S");
  }

  /** What each client saw, and what readiness answered when its {@code draining} arrived. */
  static final class Clients {
    final URL base;
    final List<Ws> idle = new ArrayList<>();
    Ws busy;
    final ConcurrentLinkedQueue<Integer> readiness = new ConcurrentLinkedQueue<>();

    Clients(URL base) {
      this.base = base;
    }

    Ws connect(String subject) {
      Consumer<JsonObject> atDraining =
          m -> {
            if (m.getString("type").equals("draining")) {
              // On the client's receiving thread, before its close can be delivered: the server
              // has not closed this connection yet, whatever it did to the others.
              readiness.add(new PayaraReadiness(base).status());
            }
          };
      Ws ws = Ws.connect(base, token(subject), "", List.of(), atDraining);
      ws.next("ready");
      return ws;
    }

    void open() {
      for (int i = 0; i < IDLE; i++) {
        idle.add(connect("idle-" + i));
      }
      busy = connect("busy");
      busy.send(
          "{\"type\":\"run\",\"agent\":\"analyze\",\"input\":\"" + TEXT + "\",\"runId\":\"b-1\"}");
      busy.next("agent_started");
    }

    List<Ws> all() {
      List<Ws> all = new ArrayList<>(idle);
      all.add(busy);
      return all;
    }
  }

  /** Readiness as a probe sees it, -1 when nothing answers. */
  record PayaraReadiness(URL base) {
    int status() {
      try {
        return Http.get(base, "/health/ready", null).status();
      } catch (AssertionError gone) {
        return -1;
      }
    }
  }

  static String token(String subject) {
    return TestTokens.development(ISSUER, subject, "agentwire-user");
  }

  @Test
  void sigtermDrainsEveryClientBeforePayaraStopsAndExitsWithinTheGrace() throws Exception {
    try (PayaraProcess payara = PayaraProcess.start("drain-sigterm", settings())) {
      Clients clients = new Clients(payara.base());
      clients.open();

      long t0 = System.nanoTime();
      payara.terminate();
      await("readiness DOWN after SIGTERM")
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> payara.ready() == 503);
      Ws late = Ws.connect(payara.base(), token("late"));
      Ws.Close refused = late.awaitClose();

      assertDrained(clients);
      assertThat(refused.code()).as("a connection opened while draining").isEqualTo(1013);
      assertThat(refused.reason()).isEqualTo("not ready: draining");
      OptionalInt status = payara.awaitExit(GRACE);
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(status).as("exited within the grace; log:\n%s", payara.logTail()).isPresent();
      assertThat(status.getAsInt()).isEqualTo(143);
      assertThat(took).isLessThan(GRACE);
      assertThat(payara.logText()).contains("draining (SIGTERM): 6 connections");
      System.out.printf("DrainIT: SIGTERM to exit %d ms%n", took.toMillis());
    }
  }

  @Test
  void postDrainNeedsAnAdminThenDrainsTheSameWayAndExits() throws Exception {
    try (PayaraProcess payara = PayaraProcess.start("drain-post", settings())) {
      URL base = payara.base();
      Clients clients = new Clients(base);
      clients.open();

      assertThat(Http.post(base, "/api/admin/drain", null, "").status()).isEqualTo(401);
      String user = Http.devToken(base, "someone", "agentwire-user");
      assertThat(Http.post(base, "/api/admin/drain", user, "").status()).isEqualTo(403);
      assertThat(payara.ready()).as("a refused drain changes nothing").isEqualTo(200);
      assertThat(clients.all()).noneMatch(Ws::isClosed);

      String admin = Http.devToken(base, "operator", "agentwire-admin");
      long t0 = System.nanoTime();
      Http.Answer answer = Http.post(base, "/api/admin/drain", admin, "");
      assertThat(answer.status()).isEqualTo(202);
      assertThat(answer.json().getBoolean("draining")).isTrue();
      assertThat(answer.json().getInt("connections")).isEqualTo(IDLE + 1);
      assertThat(payara.ready()).as("readiness DOWN at once").isEqualTo(503);
      assertThat(Http.get(base, "/health/live", null).status())
          .as("liveness untouched")
          .isEqualTo(200);

      assertDrained(clients);
      OptionalInt status = payara.awaitExit(GRACE);
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(status).as("exited within the grace; log:\n%s", payara.logTail()).isPresent();
      assertThat(status.getAsInt()).isZero();
      assertThat(took).isLessThan(GRACE);
    }
  }

  /** What every client of a drain must have seen. */
  private static void assertDrained(Clients clients) {
    List<Long> waits = new ArrayList<>();
    for (Ws ws : clients.all()) {
      Ws.Close close = ws.awaitClose();
      assertThat(close.code()).as("close of a drained client: %s", close).isEqualTo(1012);
      assertThat(close.reason()).isEqualTo("draining");
      List<JsonObject> seen = ws.pending();
      JsonObject last = seen.get(seen.size() - 1);
      assertThat(last.getString("type")).as("the last message before 1012").isEqualTo("draining");
      long wait = last.getJsonNumber("reconnectAfterMs").longValue();
      assertThat(wait).isBetween(0L, SPREAD.toMillis());
      waits.add(wait);
    }
    // The busy client's run finished before its connection was drained.
    List<JsonObject> busy = clients.busy.pending();
    assertThat(busy.get(busy.size() - 2).getString("type")).isEqualTo("agent_completed");
    assertThat(waits.stream().distinct().count())
        .as("reconnectAfterMs spread: %s", waits)
        .isGreaterThan(1);
    // In arrival order: the first draining (so the first close) found readiness DOWN already, and
    // none found it UP. The last ones may find the process on its way out (-1).
    List<Integer> readiness = List.copyOf(clients.readiness);
    assertThat(readiness).as("readiness when each draining arrived").hasSize(IDLE + 1);
    assertThat(readiness.get(0))
        .as("readiness at the first draining: %s", readiness)
        .isEqualTo(503);
    assertThat(readiness).as("readiness at each draining").doesNotContain(200);
  }
}
