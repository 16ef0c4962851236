package io.agentwire.bench;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The benchmark's load generator, a process of its own (the open-file limit is per process, and
 * 10,000 connections need 10,000 descriptors on each side). It runs one scenario against one server
 * and prints {@code RESULT <json>} on stdout. At each {@code CHECKPOINT <name>} it prints, it waits
 * for a line on stdin, so that the orchestrator can read the server (CPU, heap) at exactly that
 * point. Tokens are read from a file, signed before any clock starts.
 *
 * <p>Latencies go into HdrHistograms in microseconds. The open loop measures each message from the
 * time it was meant to be sent (not when it was sent), so a stalled server shows as latency instead
 * of as fewer samples (no coordinated omission).
 */
public final class LoadGenerator {

  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000_000_000L;

  private final Map<String, String> args;
  private final String url;
  private final List<String> tokens;
  private final HttpClient http;
  private final ExecutorService executor;
  private final BufferedReader stdin =
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
  private final PrintStream out = System.out;

  private LoadGenerator(Map<String, String> args) throws IOException {
    this.args = args;
    this.url = args.get("url");
    this.tokens =
        args.containsKey("tokens")
            ? Files.readAllLines(Path.of(args.get("tokens")))
            : java.util.Collections.singletonList(null);
    // Two threads deliver the callbacks of every socket: the machine has two cores.
    this.executor = Executors.newFixedThreadPool(2);
    this.http = HttpClient.newBuilder().executor(executor).build();
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 1; i < argv.length; i++) {
      int eq = argv[i].indexOf('=');
      args.put(argv[i].substring(0, eq), argv[i].substring(eq + 1));
    }
    LoadGenerator g = new LoadGenerator(args);
    JsonObjectBuilder result =
        switch (argv[0]) {
          case "storm" -> g.storm();
          case "loop" -> g.closedLoop();
          case "open" -> g.openLoop();
          case "idle" -> g.idle();
          case "runs" -> g.runs();
          case "churn" -> g.churn();
          default -> throw new IllegalArgumentException("unknown scenario " + argv[0]);
        };
    g.out.println("RESULT " + result.build());
    g.out.flush();
    System.exit(0);
  }

  private int intArg(String name, int otherwise) {
    return args.containsKey(name) ? Integer.parseInt(args.get(name)) : otherwise;
  }

  private String token(int i) {
    return tokens.get(i % tokens.size());
  }

  private void checkpoint(String name) throws IOException {
    out.println("CHECKPOINT " + name);
    out.flush();
    if (stdin.readLine() == null) {
      throw new IOException("the orchestrator went away at " + name);
    }
  }

  /** Opens {@code n} connections, at most {@code parallel} handshakes at a time; all or failure. */
  private List<Client> open(int n, int parallel, int tokenOffset) throws Exception {
    List<Client> clients = new ArrayList<>(n);
    Semaphore handshakes = new Semaphore(parallel);
    List<CompletableFuture<Client>> readies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      handshakes.acquire();
      Client c = new Client();
      clients.add(c);
      CompletableFuture<Client> r = Client.connect(http, url, token(tokenOffset + i), c);
      r.whenComplete((x, t) -> handshakes.release());
      readies.add(r);
    }
    CompletableFuture.allOf(readies.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    return clients;
  }

  private static void closeAll(List<Client> clients) throws Exception {
    clients.forEach(Client::close);
    CompletableFuture.allOf(clients.stream().map(c -> c.ended).toArray(CompletableFuture[]::new))
        .get(120, TimeUnit.SECONDS);
  }

  private static JsonObjectBuilder millis(Histogram h) {
    return Json.createObjectBuilder()
        .add("count", h.getTotalCount())
        .add("p50", h.getValueAtPercentile(50) / 1000.0)
        .add("p99", h.getValueAtPercentile(99) / 1000.0)
        .add("p999", h.getValueAtPercentile(99.9) / 1000.0)
        .add("max", h.getMaxValue() / 1000.0);
  }

  private static Histogram histogram() {
    return new Histogram(60_000_000L, 3); // microseconds, up to a minute
  }

  /**
   * Storm: {@code n} connections at once, each sending {@code ping} the moment its socket opens
   * (before {@code ready}, so it is held, G2). Measured: open → ready, open → pong.
   */
  private JsonObjectBuilder storm() throws Exception {
    int n = intArg("n", 1000);
    Histogram toReady = histogram();
    Histogram toPong = histogram();
    Histogram connectToReady = histogram();
    AtomicInteger failures = new AtomicInteger();
    List<Client> clients = new ArrayList<>(n);
    List<CompletableFuture<Long>> pongs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Client c = new Client();
      CompletableFuture<Long> pong = new CompletableFuture<>();
      c.onOpen = x -> x.send("{\"type\":\"ping\",\"id\":1}");
      c.onMessage = (x, text, at) -> pong.complete(at);
      clients.add(c);
      pongs.add(pong);
    }
    long started = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Client.connect(http, url, token(i), clients.get(i));
    }
    Map<String, Integer> why = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Client c = clients.get(i);
      try {
        long pongAt =
            pongs.get(i).get(Math.max(1, 120 - elapsedSeconds(started)), TimeUnit.SECONDS);
        toReady.recordValue((c.readyAt - c.openedAt) / 1000);
        connectToReady.recordValue((c.readyAt - c.connectStartedAt) / 1000);
        toPong.recordValue((pongAt - c.openedAt) / 1000);
      } catch (Exception e) {
        failures.incrementAndGet();
        Client.Ended end = c.ended.getNow(null);
        why.merge(
            end == null ? e.getClass().getSimpleName() : "close " + end.code(), 1, Integer::sum);
      }
    }
    long elapsed = System.nanoTime() - started;
    closeAll(clients.stream().filter(Client::isReady).toList());
    JsonObjectBuilder failed = Json.createObjectBuilder();
    why.forEach(failed::add);
    return Json.createObjectBuilder()
        .add("connections", n)
        .add("failures", failures.get())
        .add("failuresBy", failed)
        .add("seconds", elapsed / 1e9)
        .add("openToReadyMs", millis(toReady))
        .add("openToPongMs", millis(toPong))
        .add("connectToReadyMs", millis(connectToReady));
  }

  private static long elapsedSeconds(long since) {
    return (System.nanoTime() - since) / SECOND;
  }

  /**
   * Closed loop: {@code conns} connections, each keeping {@code window} pings in flight and sending
   * the next when a reply arrives. Measured: replies per second over {@code seconds} after {@code
   * warmup} seconds, with a checkpoint on each side for the server's CPU.
   */
  private JsonObjectBuilder closedLoop() throws Exception {
    int conns = intArg("conns", 10);
    int window = intArg("window", 1);
    int seconds = intArg("seconds", 10);
    int warmup = intArg("warmup", 3);
    List<Client> clients = open(conns, 100, 0);
    AtomicLong replies = new AtomicLong();
    AtomicInteger unexpected = new AtomicInteger();
    for (Client c : clients) {
      c.onMessage =
          (x, text, at) -> {
            if (text.startsWith("{\"type\":\"error\"")) {
              unexpected.incrementAndGet();
              sample(text);
            }
            replies.incrementAndGet();
            x.send("{\"type\":\"ping\",\"id\":2}");
          };
    }
    for (Client c : clients) {
      for (int w = 0; w < window; w++) {
        c.send("{\"type\":\"ping\",\"id\":1}");
      }
    }
    pause(warmup * SECOND);
    checkpoint("start");
    long from = replies.get();
    long t0 = System.nanoTime();
    pause(seconds * SECOND);
    long count = replies.get() - from;
    long t1 = System.nanoTime();
    checkpoint("end");
    long closedEarly = clients.stream().filter(c -> c.ended.isDone()).count();
    for (Client c : clients) {
      c.onMessage = (x, text, at) -> {};
    }
    closeAll(clients);
    return Json.createObjectBuilder()
        .add("connections", conns)
        .add("window", window)
        .add("messages", count)
        .add("seconds", (t1 - t0) / 1e9)
        .add("perSecond", count * 1e9 / (t1 - t0))
        .add("errors", unexpected.get())
        .add("errorSample", errorSample())
        .add("closedEarly", closedEarly);
  }

  /** Sleeps for a measured interval: the one wait here that is a duration, not a condition. */
  private static void pause(long nanos) {
    long until = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  /**
   * Open loop: {@code rate} pings per second over {@code conns} connections, each sent at its
   * intended time whatever the replies do; latency from the intended time to the reply.
   */
  /** Replies to messages meant for before this (the warm-up) are not recorded. */
  private volatile long measuredFrom = Long.MAX_VALUE;

  private final java.util.Set<String> errorSamples =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Keeps the first few distinct error answers for the result (by code and message). */
  private void sample(String error) {
    if (errorSamples.size() < 5) {
      errorSamples.add(error.length() > 200 ? error.substring(0, 200) : error);
    }
  }

  private jakarta.json.JsonArrayBuilder errorSample() {
    var a = Json.createArrayBuilder();
    errorSamples.forEach(a::add);
    return a;
  }

  private JsonObjectBuilder openLoop() throws Exception {
    int conns = intArg("conns", 1000);
    int rate = intArg("rate", 5000);
    int seconds = intArg("seconds", 30);
    int warmup = intArg("warmup", 5);
    List<Client> clients = open(conns, 100, 0);
    Recorder recorder = new Recorder(60_000_000L, 3);
    AtomicInteger errors = new AtomicInteger();
    List<ArrayDeque<Long>> intended = new ArrayList<>(conns);
    for (int i = 0; i < conns; i++) {
      ArrayDeque<Long> times = new ArrayDeque<>();
      intended.add(times);
      clients.get(i).onMessage =
          (x, text, at) -> {
            Long t;
            synchronized (times) {
              t = times.pollFirst();
            }
            if (t == null || text.startsWith("{\"type\":\"error\"")) {
              errors.incrementAndGet();
              sample(text);
              return;
            }
            if (t >= measuredFrom) {
              recorder.recordValue(Math.max(0, (at - t) / 1000));
            }
          };
    }
    long interval = SECOND / rate;
    long warmupEnd = (long) warmup * rate;
    long total = warmupEnd + (long) seconds * rate;
    long start = System.nanoTime();
    // Replies to warm-up messages are not recorded, whenever they arrive.
    measuredFrom = start + warmupEnd * interval;
    long behind = 0;
    for (long k = 0; k < total; k++) {
      long due = start + k * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      } else if (wait < -MS) {
        behind++;
      }
      int i = (int) (k % conns);
      ArrayDeque<Long> times = intended.get(i);
      synchronized (times) {
        times.addLast(due);
      }
      clients.get(i).send("{\"type\":\"ping\",\"id\":3}");
    }
    long sentUntil = System.nanoTime();
    // Replies still owed are waited for (bounded): each one's latency counts.
    long deadline = System.nanoTime() + 30 * SECOND;
    while (owed(intended) > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(10 * MS);
    }
    Histogram h = recorder.getIntervalHistogram();
    long lost = owed(intended);
    closeAll(clients);
    double sendSeconds = (sentUntil - start) / 1e9;
    return Json.createObjectBuilder()
        .add("connections", conns)
        .add("rate", rate)
        .add("seconds", seconds)
        .add("achievedRate", total / sendSeconds)
        .add("sentLate", behind)
        .add("unanswered", lost)
        .add("errors", errors.get())
        .add("errorSample", errorSample())
        .add("latencyMs", millis(h));
  }

  private static long owed(List<ArrayDeque<Long>> intended) {
    long n = 0;
    for (ArrayDeque<Long> q : intended) {
      synchronized (q) {
        n += q.size();
      }
    }
    return n;
  }

  /** Idle: {@code n} connections opened and held, with a checkpoint while they are held. */
  private JsonObjectBuilder idle() throws Exception {
    int n = intArg("n", 10000);
    checkpoint("before");
    long t0 = System.nanoTime();
    List<Client> clients = open(n, intArg("parallel", 200), 0);
    long opened = System.nanoTime() - t0;
    checkpoint("held");
    long stillOpen = clients.stream().filter(c -> !c.ended.isDone()).count();
    closeAll(clients);
    checkpoint("after");
    return Json.createObjectBuilder()
        .add("connections", n)
        .add("openSeconds", opened / 1e9)
        .add("openAtCheckpoint", stillOpen);
  }

  /**
   * Runs: {@code conns} connections, each running {@code agent} in a closed loop and acknowledging
   * each run's last event. Measured: runs and events per second.
   */
  private JsonObjectBuilder runs() throws Exception {
    int conns = intArg("conns", 50);
    int seconds = intArg("seconds", 10);
    int warmup = intArg("warmup", 2);
    String agent = args.getOrDefault("agent", "echo");
    String run =
        "{\"type\":\"run\",\"agent\":\"" + agent + "\",\"input\":\"the quick brown fox jumps\"}";
    List<Client> clients = open(conns, 100, 0);
    AtomicLong runs = new AtomicLong();
    AtomicLong events = new AtomicLong();
    AtomicInteger errors = new AtomicInteger();
    for (Client c : clients) {
      c.onMessage =
          (x, text, at) -> {
            if (text.startsWith("{\"type\":\"error\"")) {
              errors.incrementAndGet();
              sample(text);
              x.send(run);
              return;
            }
            events.incrementAndGet();
            if (text.startsWith("{\"type\":\"agent_completed\"")) {
              runs.incrementAndGet();
              x.send("{\"type\":\"ack\",\"seq\":" + seq(text) + "}");
              x.send(run);
            }
          };
      c.send(run);
    }
    pause(warmup * SECOND);
    checkpoint("start");
    long r0 = runs.get();
    long e0 = events.get();
    long t0 = System.nanoTime();
    pause(seconds * SECOND);
    long t1 = System.nanoTime();
    long r = runs.get() - r0;
    long e = events.get() - e0;
    checkpoint("end");
    long closedEarly = clients.stream().filter(c -> c.ended.isDone()).count();
    for (Client c : clients) {
      c.onMessage = (x, text, at) -> {};
    }
    closeAll(clients);
    double s = (t1 - t0) / 1e9;
    return Json.createObjectBuilder()
        .add("agent", agent)
        .add("connections", conns)
        .add("runsPerSecond", r / s)
        .add("eventsPerSecond", e / s)
        .add("errors", errors.get())
        .add("errorSample", errorSample())
        .add("closedEarly", closedEarly);
  }

  /** The {@code seq} of an event, read without a JSON parser: {@code "seq":} then digits. */
  static long seq(String event) {
    int at = event.indexOf("\"seq\":");
    if (at < 0) {
      return 0;
    }
    int i = at + 6;
    long v = 0;
    while (i < event.length() && Character.isDigit(event.charAt(i))) {
      v = v * 10 + (event.charAt(i++) - '0');
    }
    return v;
  }

  /**
   * Churn: {@code n} connections opened, made ready and closed, {@code parallel} at a time, after a
   * warm-up of {@code warmup}; checkpoints before and after for the server's heap, threads, fds.
   */
  private JsonObjectBuilder churn() throws Exception {
    int n = intArg("n", 20000);
    int parallel = intArg("parallel", 100);
    int warmup = intArg("warmup", 500);
    cycle(warmup, parallel);
    checkpoint("before");
    long t0 = System.nanoTime();
    int failures = cycle(n, parallel);
    long t1 = System.nanoTime();
    checkpoint("after");
    return Json.createObjectBuilder()
        .add("connections", n)
        .add("parallel", parallel)
        .add("failures", failures)
        .add("perSecond", n * 1e9 / (t1 - t0));
  }

  /** Opens, awaits ready and closes {@code n} connections, {@code parallel} at a time. */
  private int cycle(int n, int parallel) throws Exception {
    Semaphore slots = new Semaphore(parallel);
    AtomicInteger failures = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      if (!slots.tryAcquire(120, TimeUnit.SECONDS)) {
        throw new TimeoutException("churn stalled at " + i);
      }
      Client c = new Client();
      Client.connect(http, url, token(i), c)
          .whenComplete(
              (x, t) -> {
                if (t != null) {
                  failures.incrementAndGet();
                } else {
                  c.close();
                }
              });
      c.ended.whenComplete((e, t) -> slots.release());
    }
    if (!slots.tryAcquire(parallel, 120, TimeUnit.SECONDS)) {
      throw new TimeoutException("churn: connections still open at the end");
    }
    return failures.get();
  }
}
