package io.agentwire.bench;

import io.agentwire.it.PayaraProcess;
import io.agentwire.it.Ws;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a cluster costs an event (README, Clustering): the time from an event's {@code ts} (taken on
 * the server before the event is stored) to its arrival at a client on loopback, for
 *
 * <ul>
 *   <li>{@code single}: one instance with {@code --nocluster}, the log in memory (the baseline);
 *   <li>{@code sameMember}: two clustered instances, the run and the client on the same one; each
 *       event is stored in the data grid with its synchronous backup on the other member first;
 *   <li>{@code crossMember}: the run on one instance, the client resumed on the other: the event is
 *       stored, then published on the cluster's bus and sent by the other instance.
 * </ul>
 *
 * Each is measured in the same run, one after the other, on {@code analyze} runs whose seven events
 * come 20 ms apart (so they never queue behind each other); figures are percentiles in milliseconds
 * and ratios against {@code single}. The clocks of client and server are the same machine's.
 */
final class ClusterLatency {

  private static final String TEXT = "every event stored twice before it is sent";

  private ClusterLatency() {}

  static JsonObject measure(Path work, int runs) throws Exception {
    Map<String, String> settings =
        Map.of("mp.config.profile", "development", "agentwire.agents.step-delay", "PT0.02S");
    List<Double> single;
    try (PayaraProcess s =
        PayaraProcess.start("latency-single", settings, List.of("--nocluster"))) {
      sameInstance(s, runs / 5); // warm-up
      single = sameInstance(s, runs);
    }
    List<Double> same;
    List<Double> cross;
    String cluster = "agentwire-latency-" + UUID.randomUUID().toString().substring(0, 8);
    int portA = PayaraProcess.freePort();
    int portB = PayaraProcess.freePort();
    List<String> grid =
        List.of(
            "--clustermode",
            "tcpip:127.0.0.1:" + portA + ",127.0.0.1:" + portB,
            "--interfaces",
            "127.0.0.1",
            "--clustername",
            cluster,
            "--nohostaware",
            "--systemproperties",
            "payara-config/cluster.properties",
            "--startport");
    try (PayaraProcess a = PayaraProcess.start("latency-a", settings, with(grid, portA));
        PayaraProcess b = PayaraProcess.start("latency-b", settings, with(grid, portB))) {
      awaitMembers(a, 2);
      sameInstance(a, runs / 5);
      same = sameInstance(a, runs);
      crossInstance(a, b, runs / 5);
      cross = crossInstance(a, b, runs);
    }
    JsonObjectBuilder result =
        Json.createObjectBuilder()
            .add("runs", runs)
            .add("single", summary(single))
            .add("sameMember", summary(same))
            .add("crossMember", summary(cross));
    JsonObjectBuilder ratios = Json.createObjectBuilder();
    for (double p : new double[] {50, 90, 99}) {
      String key = "p" + (int) p;
      ratios.add("sameMember/single " + key, round(percentile(same, p) / percentile(single, p), 2));
      ratios.add(
          "crossMember/single " + key, round(percentile(cross, p) / percentile(single, p), 2));
    }
    JsonObject done = result.add("ratios", ratios).build();
    Files.writeString(work.resolve("cluster-latency.json"), done.toString());
    return done;
  }

  private static List<String> with(List<String> grid, int port) {
    List<String> all = new ArrayList<>(grid);
    all.add(Integer.toString(port));
    return all;
  }

  private static void awaitMembers(PayaraProcess p, int n) {
    String admin = io.agentwire.it.Http.devToken(p.base(), "op", "agentwire-admin");
    org.awaitility.Awaitility.await("a cluster of " + n)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              JsonObject cluster =
                  io.agentwire.it.Http.get(p.base(), "/api/diagnostics", admin)
                      .json()
                      .getJsonObject("cluster");
              return cluster.getBoolean("clustered") && cluster.getInt("members") == n;
            });
  }

  private static String token(PayaraProcess p) {
    return io.agentwire.it.Http.devToken(p.base(), "latency", "agentwire-user");
  }

  private static String run(String id) {
    return "{\"type\":\"run\",\"agent\":\"analyze\",\"input\":\""
        + TEXT
        + "\",\"runId\":\""
        + id
        + "\"}";
  }

  /** Milliseconds from each event's ts to its arrival, for events sent live. */
  private static List<Double> sameInstance(PayaraProcess p, int runs) {
    List<Double> ms = new ArrayList<>();
    Ws ws = Ws.connect(p.base(), token(p));
    ws.next("ready");
    for (int i = 0; i < runs; i++) {
      ws.send(run("l-" + i));
      collect(ws, ms);
    }
    ws.close();
    return ms;
  }

  private static List<Double> crossInstance(PayaraProcess a, PayaraProcess b, int runs) {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Ws first = Ws.connect(a.base(), token(a));
      JsonObject ready = first.next("ready");
      first.send(run("x-" + i));
      first.next("agent_started");
      Ws second =
          Ws.connect(
              b.base(),
              token(b),
              "resume="
                  + URLEncoder.encode(ready.getString("resumeToken"), StandardCharsets.UTF_8)
                  + "&lastSeq=0",
              List.of());
      long live = second.next("ready").getJsonNumber("lastSeq").longValue();
      List<Double> all = new ArrayList<>();
      List<Long> seqs = new ArrayList<>();
      collect(second, all, seqs);
      for (int k = 0; k < all.size(); k++) {
        if (seqs.get(k) > live) {
          ms.add(all.get(k)); // sent by B as A stored it, not replayed
        }
      }
      first.awaitClose();
      second.close();
    }
    return ms;
  }

  private static void collect(Ws ws, List<Double> ms) {
    collect(ws, ms, new ArrayList<>());
  }

  private static void collect(Ws ws, List<Double> ms, List<Long> seqs) {
    while (true) {
      JsonObject m = ws.next();
      Instant arrived = Instant.now();
      if (!m.containsKey("seq")) {
        continue;
      }
      Instant ts = Instant.parse(m.getString("ts"));
      ms.add(Duration.between(ts, arrived).toNanos() / 1e6);
      seqs.add(m.getJsonNumber("seq").longValue());
      String type = m.getString("type");
      if (type.equals("agent_completed")
          || type.equals("agent_failed")
          || type.equals("agent_cancelled")) {
        return;
      }
    }
  }

  private static JsonObject summary(List<Double> ms) {
    return Json.createObjectBuilder()
        .add("events", ms.size())
        .add("p50Ms", round(percentile(ms, 50), 3))
        .add("p90Ms", round(percentile(ms, 90), 3))
        .add("p99Ms", round(percentile(ms, 99), 3))
        .add("maxMs", round(percentile(ms, 100), 3))
        .build();
  }

  static double percentile(List<Double> values, double p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int at = (int) Math.ceil(p / 100 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, at)));
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** {@code mvn -B -Pbench package -Dbench.scenarios=cluster} runs it; alone for trying it out. */
  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "target/bench");
    Files.createDirectories(work);
    System.out.println(measure(work, args.length > 1 ? Integer.parseInt(args[1]) : 100));
  }
}
