package io.agentwire.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One server under test, a child process of the benchmark: agentwire and its bare endpoint on
 * Payara Micro, or the Node peer. Read from outside through {@code /proc} and {@code jcmd} (or the
 * peer's {@code /stats}), so that nothing in the server measures itself.
 */
final class Server implements AutoCloseable {

  enum Kind {
    /** agentwire's {@code /ws} on Payara Micro. */
    AGENTWIRE,
    /** The bare echo endpoint in the same WAR, on a Payara Micro of its own. */
    BARE,
    /** The Node {@code ws} peer. */
    NODE
  }

  private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  final Kind kind;
  final int port;
  final Process process;
  final Path log;
  final long startedAt;
  double secondsToReady = Double.NaN;
  long rssAtReady;

  private final boolean owner;

  private Server(Kind kind, int port, Process process, Path log, long startedAt, boolean owner) {
    this.owner = owner;
    this.kind = kind;
    this.port = port;
    this.process = process;
    this.log = log;
    this.startedAt = startedAt;
  }

  static Server start(Kind kind, int port, List<String> command, Path dir, Path log, String env)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    if (env != null) {
      for (String kv : env.split("\n")) {
        int eq = kv.indexOf('=');
        pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    long t0 = System.nanoTime();
    return new Server(kind, port, pb.start(), log, t0, true);
  }

  /** The same process seen as another kind (agentwire's server is the bare endpoint's too). */
  Server as(Kind other) {
    Server s = new Server(other, port, process, log, startedAt, false);
    s.secondsToReady = secondsToReady;
    s.rssAtReady = rssAtReady;
    return s;
  }

  String wsUrl() {
    return "ws://127.0.0.1:" + port + (kind == Kind.BARE ? "/bench/echo" : "/ws");
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Waits (bounded) until {@code /health/ready} answers 200; records the time and RSS then. */
  void awaitReady(Duration limit) throws IOException, InterruptedException {
    URI ready = URI.create("http://127.0.0.1:" + port + "/health/ready");
    long deadline = startedAt + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(kind + " exited with " + process.exitValue() + "; see " + log);
      }
      try {
        HttpResponse<Void> r =
            HTTP.send(
                HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200 && process.isAlive()) {
          secondsToReady = (System.nanoTime() - startedAt) / 1e9;
          rssAtReady = rssBytes();
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(50); // polling interval of a bounded wait for an outside process
    }
    throw new IOException(kind + " not ready within " + limit + "; see " + log);
  }

  /** User plus system CPU time of the process so far, in clock ticks (USER_HZ, 100 per second). */
  long cpuTicks() throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
  }

  long rssBytes() throws IOException {
    return statusKb("VmRSS") * 1024;
  }

  long threads() throws IOException {
    return statusKb("Threads");
  }

  long fds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/" + pid() + "/fd"))) {
      return s.count();
    }
  }

  private long statusKb(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("no " + field + " in /proc/" + pid() + "/status");
  }

  /**
   * Live heap after a full GC, in bytes: {@code jcmd GC.class_histogram} (which collects first and
   * counts reachable objects only) for the JVM, {@code heapUsed} after {@code gc()} for Node.
   */
  long liveHeapBytes() throws IOException, InterruptedException {
    if (kind == Kind.NODE) {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats"))
                  .timeout(Duration.ofSeconds(60))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      Matcher m = Pattern.compile("\"heapUsed\":(\\d+)").matcher(r.body());
      if (!m.find()) {
        throw new IOException("no heapUsed in " + r.body());
      }
      return Long.parseLong(m.group(1));
    }
    Path jcmd =
        Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.class_histogram")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd failed: " + out.lines().limit(5).toList());
    }
    Matcher m = TOTAL.matcher(out);
    if (!m.find()) {
      throw new IOException("no total in the class histogram");
    }
    return Long.parseLong(m.group(1));
  }

  /** Lines the server logged so far. */
  long logLines() throws IOException {
    try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
      return lines.count();
    }
  }

  /** SIGTERM, then SIGKILL after 30 s. */
  @Override
  public void close() throws InterruptedException {
    close(Duration.ofSeconds(30));
  }

  /** SIGTERM, then SIGKILL after {@code grace}. */
  void close(Duration grace) throws InterruptedException {
    if (!owner) {
      return;
    }
    process.destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
