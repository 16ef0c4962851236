package io.agentwire.bench;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * {@code BENCHMARKS.md} from a result: each figure for agentwire, bare and Node, the ratios as the
 * median of per-round ratios with min and max (servers are started fresh each round and measured in
 * turn, so a ratio compares runs minutes apart on the same machine), and each goal of issue 8.
 */
final class Report {

  private Report() {}

  /** Per-round values of one figure. */
  private static List<Double> values(
      JsonObject results, String key, ToDoubleFunction<JsonObject> f) {
    List<Double> out = new ArrayList<>();
    JsonArray rounds = results.getJsonArray(key);
    if (rounds != null) {
      for (JsonValue v : rounds) {
        out.add(f.applyAsDouble(v.asJsonObject()));
      }
    }
    return out;
  }

  private static double median(List<Double> v) {
    if (v.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = v.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      r.add(a.get(i) / b.get(i));
    }
    return r;
  }

  private static String f(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.format(Locale.ROOT, "%,d", (long) v);
    }
    double a = Math.abs(v);
    String fmt = a >= 100 ? "%,.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
    return String.format(Locale.ROOT, fmt, v);
  }

  private static String spread(List<Double> v) {
    if (v.isEmpty()) {
      return "n/a";
    }
    double min = v.stream().mapToDouble(d -> d).min().orElseThrow();
    double max = v.stream().mapToDouble(d -> d).max().orElseThrow();
    return v.size() == 1 ? f(v.get(0)) : f(median(v)) + " (" + f(min) + "-" + f(max) + ")";
  }

  private static String met(boolean ok) {
    return ok ? "met" : "**missed**";
  }

  static String markdown(JsonObject report) {
    JsonObject r = report.getJsonObject("results");
    JsonObject m = report.getJsonObject("machine");
    StringBuilder md = new StringBuilder();
    md.append("# agentwire benchmarks\n\n");
    md.append("Written by `")
        .append(report.getString("command"))
        .append("` (")
        .append(report.getString("mode"))
        .append(" mode, ")
        .append(report.getInt("rounds"))
        .append(" round(s), ")
        .append(Math.round(report.getJsonNumber("seconds").doubleValue()))
        .append(" s) on ")
        .append(report.getString("when"))
        .append(". The raw figures are in `target/bench/result-")
        .append(report.getString("mode"))
        .append(".json`; how they are taken is in the README's Benchmark section.\n\n");
    md.append("Machine: ")
        .append(m.getInt("cores"))
        .append(" cores, ")
        .append(m.getString("memory"))
        .append(", ")
        .append(m.getString("jdk"))
        .append(", Node ")
        .append(m.getString("node"))
        .append(", Payara Micro ")
        .append(m.getString("payara"))
        .append(", kernel ")
        .append(m.getString("kernel"))
        .append(". Server JVM options: `-Xmx1g ")
        .append(m.getString("serverJvmOptions"))
        .append("`. Client and servers share the machine.\n\n");

    md.append("## Figures\n\n");
    md.append(
        "Each cell is the median over rounds (min-max). Ratios are medians of per-round ratios.\n\n");
    md.append("| figure | agentwire | bare endpoint | Node ws peer | ratio | goal | |\n");
    md.append("|---|---|---|---|---|---|---|\n");

    // storm
    ToDoubleFunction<JsonObject> readyP99 =
        o -> o.getJsonObject("openToReadyMs").getJsonNumber("p99").doubleValue();
    List<Double> aStorm = values(r, "agentwire.storm", readyP99);
    List<Double> nStorm = values(r, "node.storm", readyP99);
    List<Double> stormRatio = ratios(aStorm, nStorm);
    double stormFailures =
        values(r, "agentwire.storm", o -> o.getInt("failures")).stream().mapToDouble(d -> d).sum();
    row(
        md,
        "storm: open → `ready` p99, ms",
        aStorm,
        values(r, "bare.storm", readyP99),
        nStorm,
        "agentwire/Node " + spread(stormRatio) + "; agentwire failures " + f(stormFailures),
        "≤ 1.2 × Node, 0 failures",
        median(stormRatio) <= 1.2 && stormFailures == 0);
    ToDoubleFunction<JsonObject> readyP50 =
        o -> o.getJsonObject("openToReadyMs").getJsonNumber("p50").doubleValue();
    row(
        md,
        "storm: open → `ready` p50, ms",
        values(r, "agentwire.storm", readyP50),
        values(r, "bare.storm", readyP50),
        values(r, "node.storm", readyP50),
        "",
        "",
        null);
    ToDoubleFunction<JsonObject> readyMax =
        o -> o.getJsonObject("openToReadyMs").getJsonNumber("max").doubleValue();
    row(
        md,
        "storm: open → `ready` max, ms",
        values(r, "agentwire.storm", readyMax),
        values(r, "bare.storm", readyMax),
        values(r, "node.storm", readyMax),
        "",
        "",
        null);
    ToDoubleFunction<JsonObject> pongP99 =
        o -> o.getJsonObject("openToPongMs").getJsonNumber("p99").doubleValue();
    row(
        md,
        "storm: open → `pong` p99, ms",
        values(r, "agentwire.storm", pongP99),
        values(r, "bare.storm", pongP99),
        values(r, "node.storm", pongP99),
        "",
        "",
        null);
    ToDoubleFunction<JsonObject> failures = o -> o.getInt("failures");
    row(
        md,
        "storm: failures",
        values(r, "agentwire.storm", failures),
        values(r, "bare.storm", failures),
        values(r, "node.storm", failures),
        "",
        "",
        null);
    ToDoubleFunction<JsonObject> overflows =
        o -> o.getJsonNumber("listenOverflowsDuringStorm").doubleValue();
    row(
        md,
        "storm: listen-queue overflows (TcpExtListenOverflows)",
        values(r, "agentwire.storm", overflows),
        values(r, "bare.storm", overflows),
        values(r, "node.storm", overflows),
        "",
        "",
        null);
    ToDoubleFunction<JsonObject> logLines = o -> o.getJsonNumber("serverLogLines").doubleValue();
    row(
        md,
        "storm: server log lines written",
        values(r, "agentwire.storm", logLines),
        values(r, "bare.storm", logLines),
        values(r, "node.storm", logLines),
        "",
        "",
        null);

    // closed loop
    ToDoubleFunction<JsonObject> rate = o -> o.getJsonNumber("perSecond").doubleValue();
    List<Double> aLoop = values(r, "agentwire.loop", rate);
    List<Double> bLoop = values(r, "bare.loop", rate);
    List<Double> nLoop = values(r, "node.loop", rate);
    row(
        md,
        "closed loop, 10 connections: round trips/s",
        aLoop,
        bLoop,
        nLoop,
        "agentwire/Node "
            + spread(ratios(aLoop, nLoop))
            + ", agentwire/bare "
            + spread(ratios(aLoop, bLoop)),
        "",
        null);
    ToDoubleFunction<JsonObject> cpu =
        o -> o.getJsonNumber("serverCpuMicrosPerMessage").doubleValue();
    List<Double> aCpu = values(r, "agentwire.loop", cpu);
    List<Double> nCpu = values(r, "node.loop", cpu);
    List<Double> cpuRatio = ratios(aCpu, nCpu);
    row(
        md,
        "server CPU per `ping`/`pong`, µs (closed loop)",
        aCpu,
        values(r, "bare.loop", cpu),
        nCpu,
        "agentwire/Node " + spread(cpuRatio),
        "≤ 2.5 × Node",
        median(cpuRatio) <= 2.5);
    List<Double> aSat = values(r, "agentwire.saturation", rate);
    List<Double> bSat = values(r, "bare.saturation", rate);
    List<Double> nSat = values(r, "node.saturation", rate);
    List<Double> satRatio = ratios(aSat, bSat);
    row(
        md,
        "saturation (100 connections × 4 in flight): msg/s",
        aSat,
        bSat,
        nSat,
        "agentwire/bare " + spread(satRatio) + ", agentwire/Node " + spread(ratios(aSat, nSat)),
        "agentwire/bare ≥ 0.85",
        median(satRatio) >= 0.85);
    row(
        md,
        "server CPU per message at saturation, µs",
        values(r, "agentwire.saturation", cpu),
        values(r, "bare.saturation", cpu),
        values(r, "node.saturation", cpu),
        "",
        "",
        null);

    // open loop
    for (String p : List.of("p50", "p99", "p999")) {
      ToDoubleFunction<JsonObject> lat =
          o -> o.getJsonObject("latencyMs").getJsonNumber(p).doubleValue();
      List<Double> a = values(r, "agentwire.open", lat);
      double goal =
          switch (p) {
            case "p50" -> 0.5;
            case "p99" -> 2;
            default -> 10;
          };
      row(
          md,
          "open loop " + openLabel(r) + ": " + p + ", ms",
          a,
          values(r, "bare.open", lat),
          values(r, "node.open", lat),
          "",
          "≤ " + f(goal) + " ms",
          !a.isEmpty() && median(a) <= goal);
    }
    ToDoubleFunction<JsonObject> unanswered = o -> o.getJsonNumber("unanswered").doubleValue();
    row(
        md,
        "open loop: unanswered after 30 s",
        values(r, "agentwire.open", unanswered),
        values(r, "bare.open", unanswered),
        values(r, "node.open", unanswered),
        "",
        "",
        null);

    // runs
    ToDoubleFunction<JsonObject> runs = o -> o.getJsonNumber("runsPerSecond").doubleValue();
    row(
        md,
        "`echo` runs/s, 50 connections in a closed loop",
        values(r, "agentwire.echoRuns", runs),
        List.of(),
        values(r, "node.echoRuns", runs),
        "agentwire/Node "
            + spread(
                ratios(values(r, "agentwire.echoRuns", runs), values(r, "node.echoRuns", runs))),
        "",
        null);
    ToDoubleFunction<JsonObject> events = o -> o.getJsonNumber("eventsPerSecond").doubleValue();
    row(
        md,
        "`analyze` events/s, 100 connections",
        values(r, "agentwire.analyzeRuns", events),
        List.of(),
        values(r, "node.analyzeRuns", events),
        "agentwire/Node "
            + spread(
                ratios(
                    values(r, "agentwire.analyzeRuns", events),
                    values(r, "node.analyzeRuns", events))),
        "",
        null);

    // idle
    ToDoubleFunction<JsonObject> heapPer =
        o -> o.getJsonNumber("liveHeapPerConnectionKB").doubleValue();
    ToDoubleFunction<JsonObject> rssPer = o -> o.getJsonNumber("rssPerConnectionKB").doubleValue();
    List<Double> aHeap = values(r, "agentwire.idle", heapPer);
    List<Double> aRss = values(r, "agentwire.idle", rssPer);
    String idleN =
        r.containsKey("agentwire.idle")
            ? f(r.getJsonArray("agentwire.idle").getJsonObject(0).getInt("connections"))
            : "?";
    row(
        md,
        "idle, " + idleN + " held: live heap after GC per connection, KB",
        aHeap,
        values(r, "bare.idle", heapPer),
        values(r, "node.idle", heapPer),
        "",
        "≤ 16 KB",
        !aHeap.isEmpty() && median(aHeap) <= 16);
    row(
        md,
        "idle: RSS growth per connection, KB",
        aRss,
        values(r, "bare.idle", rssPer),
        values(r, "node.idle", rssPer),
        "",
        "≤ 16 KB",
        !aRss.isEmpty() && median(aRss) <= 16);

    // churn
    ToDoubleFunction<JsonObject> growth = o -> o.getJsonNumber("liveHeapGrowthMiB").doubleValue();
    List<Double> aGrowth = values(r, "agentwire.churn", growth);
    String churnN =
        r.containsKey("agentwire.churn")
            ? f(r.getJsonArray("agentwire.churn").getJsonObject(0).getInt("connections"))
            : "?";
    row(
        md,
        "churn, " + churnN + " opened and closed: live heap growth, MiB",
        aGrowth,
        values(r, "bare.churn", growth),
        values(r, "node.churn", growth),
        "",
        "≤ 20 MB",
        !aGrowth.isEmpty() && median(aGrowth) * 1.048576 <= 20);
    ToDoubleFunction<JsonObject> threads =
        o ->
            o.getJsonNumber("threadsAfter").doubleValue()
                - o.getJsonNumber("threadsBefore").doubleValue();
    ToDoubleFunction<JsonObject> fds =
        o -> o.getJsonNumber("fdsAfter").doubleValue() - o.getJsonNumber("fdsBefore").doubleValue();
    List<Double> aThreads = values(r, "agentwire.churn", threads);
    List<Double> aFds = values(r, "agentwire.churn", fds);
    row(
        md,
        "churn: threads after − before",
        aThreads,
        values(r, "bare.churn", threads),
        values(r, "node.churn", threads),
        "",
        "back (≤ 0)",
        !aThreads.isEmpty() && median(aThreads) <= 0);
    row(
        md,
        "churn: file descriptors after − before",
        aFds,
        values(r, "bare.churn", fds),
        values(r, "node.churn", fds),
        "",
        "back (≤ 0)",
        !aFds.isEmpty() && median(aFds) <= 0);
    ToDoubleFunction<JsonObject> churnRate = o -> o.getJsonNumber("perSecond").doubleValue();
    row(
        md,
        "churn: connections/s",
        values(r, "agentwire.churn", churnRate),
        values(r, "bare.churn", churnRate),
        values(r, "node.churn", churnRate),
        "",
        "",
        null);

    // start
    ToDoubleFunction<JsonObject> start = o -> o.getJsonNumber("seconds").doubleValue();
    List<Double> aStart = values(r, "agentwire.start", start);
    row(
        md,
        "start → `/health/ready` UP, s (Payara: launcher and AOT cache, each round)",
        aStart,
        values(r, "bare.start", start),
        values(r, "node.start", start),
        "",
        "≤ 8 s (median)",
        !aStart.isEmpty() && median(aStart) <= 8);
    row(
        md,
        "start → `/health/ready` UP, s (plain `java -jar payara-micro.jar`, once)",
        values(r, "agentwire.startPlain", start),
        List.of(),
        List.of(),
        "",
        "",
        null);
    ToDoubleFunction<JsonObject> rss = o -> o.getJsonNumber("rssMiB").doubleValue();
    row(
        md,
        "RSS at ready, MiB",
        values(r, "agentwire.start", rss),
        values(r, "bare.start", rss),
        values(r, "node.start", rss),
        "",
        "",
        null);
    md.append(
            "\nThe bare endpoint (`agentwire.bench.bare-endpoint=true`, `/bench/echo`) echoes every text\n")
        .append(
            "frame on the same Payara Micro and Tyrus, with no token, state machine or JSON: agentwire/bare\n")
        .append("is the cost of agentwire's lifecycle. It has no runs.\n");
    if (report.get("cluster") instanceof JsonObject c) {
      cluster(md, c);
    }
    return md.toString();
  }

  /** What a cluster costs an event ({@link ClusterLatency}). */
  private static void cluster(StringBuilder md, JsonObject c) {
    md.append("\n## Cluster: an event's latency\n\n")
        .append("From an event's `ts` (on the server, before it is stored) to its arrival at a")
        .append(" client on loopback, ms, over ")
        .append(c.getInt("runs"))
        .append(" `analyze` runs each (7 events, 20 ms apart), measured one after the other in")
        .append(" the same run.\n\n")
        .append("| | events | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|\n");
    for (String k : List.of("single", "sameMember", "crossMember")) {
      JsonObject s = c.getJsonObject(k);
      md.append("| ")
          .append(
              switch (k) {
                case "single" -> "one instance, `--nocluster` (baseline)";
                case "sameMember" -> "cluster, run and client on one member (synchronous backup)";
                default -> "cluster, run on A, client on B (backup, then the bus)";
              })
          .append(" | ")
          .append(s.getInt("events"));
      for (String p : List.of("p50Ms", "p90Ms", "p99Ms", "maxMs")) {
        md.append(" | ").append(s.getJsonNumber(p));
      }
      md.append(" |\n");
    }
    md.append("\nRatios against the baseline: ");
    JsonObject ratios = c.getJsonObject("ratios");
    md.append(
            String.join(", ", ratios.keySet().stream().map(k -> k + " " + ratios.get(k)).toList()))
        .append(".\n");
  }

  /** Renders a result again: {@code Report <result.json> <BENCHMARKS.md>}. */
  public static void main(String[] args) throws java.io.IOException {
    try (var in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(args[0]))) {
      java.nio.file.Files.writeString(
          java.nio.file.Path.of(args[1]),
          markdown(jakarta.json.Json.createReader(in).readObject()));
    }
  }

  private static String openLabel(JsonObject r) {
    JsonArray a = r.getJsonArray("agentwire.open");
    if (a == null || a.isEmpty()) {
      return "";
    }
    JsonObject o = a.getJsonObject(0);
    return f(o.getInt("rate")) + " msg/s on " + f(o.getInt("connections")) + " connections";
  }

  private static void row(
      StringBuilder md,
      String figure,
      List<Double> agentwire,
      List<Double> bare,
      List<Double> node,
      String ratio,
      String goal,
      Boolean ok) {
    md.append("| ")
        .append(figure)
        .append(" | ")
        .append(spread(agentwire))
        .append(" | ")
        .append(bare.isEmpty() ? "" : spread(bare))
        .append(" | ")
        .append(spread(node))
        .append(" | ")
        .append(ratio)
        .append(" | ")
        .append(goal)
        .append(" | ")
        .append(ok == null ? "" : met(ok))
        .append(" |\n");
  }
}
