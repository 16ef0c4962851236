package io.agentwire.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentwire.bench.Server.Kind;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonGenerator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The side-by-side benchmark: agentwire, the bare echo endpoint in the same WAR on the same kind of
 * server, and the Node {@code ws} peer, each started fresh in every round and loaded in turn by the
 * {@link LoadGenerator} (a process of its own). Writes {@code result.json} and {@code
 * BENCHMARKS.md}. Run by the README's benchmark command ({@code mvn -B -Pbench package}); {@code
 * -Dbench.mode=smoke} runs tiny sizes in well under a minute of load (CI runs it so that the
 * benchmark never rots; its figures are not judged there).
 */
public final class Benchmark {

  static final String ISSUER = "https://agentwire.example/bench";

  /** The sizes of one mode. */
  record Sizes(
      int rounds,
      int storm,
      int loopSeconds,
      int warmupSeconds,
      int openConns,
      int openRate,
      int openSeconds,
      int idle,
      int runSeconds,
      int churn,
      int tokens,
      boolean sharedPayara,
      boolean onlyComparative) {

    static Sizes of(String mode) {
      return switch (mode) {
        // Smoke: one Payara Micro for agentwire and bare, no warm-up: it proves the benchmark runs.
        case "smoke" -> new Sizes(1, 50, 1, 0, 50, 200, 1, 200, 1, 300, 300, true, false);
        case "full" ->
            new Sizes(3, 1000, 10, 3, 1000, 5000, 30, 10000, 10, 20000, 10000, false, false);
        // Quick: one round of storm, closed loop and saturation only (for profiling a change).
        case "quick" ->
            new Sizes(1, 1000, 10, 3, 1000, 5000, 30, 10000, 10, 20000, 10000, false, true);
        default -> throw new IllegalArgumentException("bench.mode is smoke or full: " + mode);
      };
    }
  }

  private final String mode;
  private final Sizes sizes;
  private final Path base;
  private final Path work;
  private final Path tokens;
  private final Path publicKey;
  private final List<String> jvmOptions;
  private final Map<String, List<JsonObject>> results = new LinkedHashMap<>();
  private final List<Kind> servers;

  /** Below the kernel's ephemeral range (32768-60999 here), so no client socket can hold it. */
  private int nextPort = 18200;

  private Benchmark(String mode, Path base) {
    this.mode = mode;
    this.sizes = Sizes.of(mode);
    this.base = base;
    this.work = base.resolve("target/bench");
    this.tokens = work.resolve("tokens.txt");
    this.publicKey = work.resolve("public.pem");
    this.servers =
        List.of(System.getProperty("bench.servers", "agentwire,bare,node").split(",")).stream()
            .map(String::trim)
            .filter(n -> !n.isEmpty())
            .map(n -> Kind.valueOf(n.toUpperCase(java.util.Locale.ROOT)))
            .toList();
    this.jvmOptions =
        List.of(System.getProperty("bench.serverJvm", "").split(" ")).stream()
            .filter(s -> !s.isBlank())
            .toList();
  }

  public static void main(String[] args) throws Exception {
    String mode = System.getProperty("bench.mode", "full");
    Path base = Path.of(System.getProperty("bench.basedir", ".")).toAbsolutePath();
    new Benchmark(mode, base).run();
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(work.resolve("logs"));
    Files.createDirectories(work.resolve("tmp"));
    prepareTokens();
    Path node = prepareNode();
    if (!sizes.sharedPayara() && servers.contains(Kind.AGENTWIRE)) {
      recordPlainStart();
      prepareAotCache();
    }
    for (int round = 1; round <= sizes.rounds(); round++) {
      Server payara = null;
      try {
        for (Kind kind : servers) {
          log("round " + round + ": " + kind);
          if (sizes.sharedPayara() && kind == Kind.BARE && payara != null) {
            scenarios(payara.as(Kind.BARE), round);
            continue;
          }
          Server s = start(kind, round, node);
          try {
            scenarios(s, round);
          } finally {
            if (sizes.sharedPayara() && kind == Kind.AGENTWIRE) {
              payara = s;
            } else {
              s.close();
            }
          }
        }
      } finally {
        if (payara != null) {
          payara.close();
        }
      }
    }
    if (servers.contains(Kind.AGENTWIRE) && wanted("cluster")) {
      log("cluster: event latency on one instance and on two clustered ones");
      clusterLatency =
          ClusterLatency.measure(
              work,
              switch (mode) {
                case "full" -> 300;
                case "quick" -> 100;
                default -> 10;
              });
      log("cluster: " + clusterLatency);
    }
    JsonObject report = report((System.nanoTime() - t0) / 1e9);
    Path json = work.resolve("result-" + mode + ".json");
    Files.writeString(json, pretty(report));
    Path md =
        "full".equals(mode) ? base.resolve("BENCHMARKS.md") : work.resolve("BENCHMARKS-smoke.md");
    Files.writeString(md, Report.markdown(report));
    log(
        "wrote "
            + json
            + " and "
            + md
            + " in "
            + Math.round((System.nanoTime() - t0) / 1e9)
            + " s");
  }

  static void log(String line) {
    System.out.println("[bench " + Instant.now() + "] " + line);
    System.out.flush();
  }

  /** An RSA key pair and one token per subject, signed once and kept for later runs. */
  private void prepareTokens() throws Exception {
    Path privateKey = work.resolve("private.der");
    if (!Files.exists(privateKey) || !Files.exists(publicKey)) {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      KeyPair pair = g.generateKeyPair();
      Files.write(privateKey, pair.getPrivate().getEncoded());
      String pem =
          "-----BEGIN PUBLIC KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(pair.getPublic().getEncoded())
              + "\n-----END PUBLIC KEY-----\n";
      Files.writeString(publicKey, pem);
      Files.deleteIfExists(tokens);
    }
    if (Files.exists(tokens)
        && Files.readAllLines(tokens).size() >= sizes.tokens()
        && Files.getLastModifiedTime(tokens)
            .toInstant()
            .isAfter(Instant.now().minusSeconds(3600))) {
      return;
    }
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    RSAPrivateKey key =
        (RSAPrivateKey)
            rsa.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(privateKey)));
    rsa.generatePublic(
        new X509EncodedKeySpec(
            Base64.getMimeDecoder()
                .decode(
                    Files.readString(publicKey)
                        .replaceAll("-----[A-Z ]+-----", "")
                        .replaceAll("\\s", ""))));
    RSASSASigner signer = new RSASSASigner(key);
    Instant now = Instant.now();
    long t0 = System.nanoTime();
    List<String> signed =
        IntStream.range(0, sizes.tokens())
            .parallel()
            .mapToObj(
                i -> {
                  JWTClaimsSet claims =
                      new JWTClaimsSet.Builder()
                          .issuer(ISSUER)
                          .subject("bench-" + i)
                          .issueTime(Date.from(now))
                          .expirationTime(Date.from(now.plus(Duration.ofHours(3))))
                          .claim("groups", List.of("user"))
                          .build();
                  SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
                  try {
                    jwt.sign(signer);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  return jwt.serialize();
                })
            .toList();
    Files.write(tokens, signed);
    log("signed " + signed.size() + " tokens in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
  }

  /** The Node peer with its locked dependencies, installed under target once. */
  private Path prepareNode() throws Exception {
    Path dir = work.resolve("node");
    Files.createDirectories(dir);
    Path src = base.resolve("src/test/node");
    for (String f : List.of("package.json", "package-lock.json", "peer.mjs")) {
      Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(dir.resolve("node_modules/ws"))) {
      Process npm =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(dir.toFile())
              .inheritIO()
              .start();
      if (!npm.waitFor(300, TimeUnit.SECONDS) || npm.exitValue() != 0) {
        throw new IOException("npm ci failed in " + dir);
      }
    }
    return dir;
  }

  /**
   * How Payara Micro starts here: the README's plain {@code java -jar payara-micro.jar}, or (full
   * and quick modes, after {@link #prepareAotCache}) the launcher of an unpacked root directory
   * with a JDK 25 AOT cache (JEP 483/514/515).
   */
  private enum Launch {
    PLAIN,
    TRAINING,
    AOT
  }

  private Launch launch = Launch.PLAIN;

  private Path root() {
    return work.resolve("micro-root");
  }

  private Path pristine() {
    return work.resolve("micro-root.pristine");
  }

  private static void copyTree(Path from, Path to) throws IOException, InterruptedException {
    run(List.of("rm", "-rf", to.toString()));
    run(List.of("cp", "-a", from.toString(), to.toString()));
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("failed: " + cmd);
    }
  }

  private Path aotCache() {
    return work.resolve("agentwire.aot");
  }

  /** The README's plain start, once, for the record beside the tuned one. */
  private void recordPlainStart() throws Exception {
    log("plain start (java -jar payara-micro.jar)");
    try (Server s = start(Kind.AGENTWIRE, 0, null)) {
      record(
          Kind.AGENTWIRE,
          "startPlain",
          Json.createObjectBuilder()
              .add("seconds", s.secondsToReady)
              .add("rssMiB", s.rssAtReady / 1048576.0)
              .build());
    }
  }

  /**
   * Unpacks Payara Micro into a root directory with its launcher ({@code --rootdir
   * --outputlauncher}: the launcher's manifest puts every runtime jar on the application class
   * path, which the JDK's AOT cache can cover), then trains an AOT cache (JDK 25 {@code
   * -XX:AOTCacheOutput}) with one start, a little WebSocket traffic and a stop, with the same JVM
   * options as the measured servers.
   */
  private void prepareAotCache() throws Exception {
    Path root = root();
    run(List.of("rm", "-rf", root.toString()));
    Process unpack =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                base.resolve("target/payara-micro.jar").toString(),
                "--rootdir",
                root.toString(),
                "--outputlauncher")
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("logs/outputlauncher.log").toFile())
            .start();
    if (!unpack.waitFor(120, TimeUnit.SECONDS) || unpack.exitValue() != 0) {
      throw new IOException("--outputlauncher failed; see logs/outputlauncher.log");
    }
    // A start records its deployment in the root's domain.xml and redeploys it at the next start,
    // before --deploy deploys the WAR again (seen: /ws answered 404 between the two). Every start
    // gets a fresh copy of the root as unpacked; cp -a keeps the jars' times, which the AOT cache
    // checks against the class path it was trained with.
    copyTree(root, pristine());
    Files.deleteIfExists(aotCache());
    launch = Launch.TRAINING;
    log("training the AOT cache");
    Server s = start(Kind.AGENTWIRE, 0, null);
    try {
      load(s, "loop", List.of("conns=10", "seconds=2", "warmup=0"), cp -> {});
      load(s, "storm", List.of("n=100"), cp -> {});
    } finally {
      s.close(Duration.ofSeconds(180)); // the cache is written at exit
    }
    if (!Files.exists(aotCache())) {
      throw new IOException("no AOT cache written; see " + s.log);
    }
    launch = Launch.AOT;
  }

  /** Payara Micro is ready in 3-20 s here; Node in under one. */
  static final Duration START_LIMIT = Duration.ofSeconds(90);

  private Server start(Kind kind, int round, Path node) throws Exception {
    return start(kind, round, node, false);
  }

  /**
   * Starts a server and waits until it is ready. A Payara Micro that is alive but not ready after
   * {@link #START_LIMIT} is killed and started once more: Payara Micro 7.2026.11 was seen to hang
   * at start-up in an HK2 deadlock (RunLevelControllerThreads parked in {@code
   * ServiceLocatorImpl.getAnalyzer} and {@code SystemDescriptor.reify} while Grizzly's listener was
   * configured), once in a clean-clone CI run, with nothing of agentwire's deployed yet.
   */
  private Server start(Kind kind, int round, Path node, boolean retried) throws Exception {
    int port = freePort();
    Path log =
        work.resolve(
            "logs/"
                + kind.name().toLowerCase()
                + "-"
                + round
                + "-"
                + launch.name().toLowerCase()
                + ".log");
    Server s;
    if (kind == Kind.NODE) {
      s =
          Server.start(
              kind,
              port,
              List.of("node", "--expose-gc", "peer.mjs"),
              node,
              log,
              "PORT=" + port + "\nPUBLIC_KEY=" + publicKey + "\nISSUER=" + ISSUER);
    } else {
      if (launch != Launch.PLAIN) {
        copyTree(pristine(), root()); // before the clock starts: see prepareAotCache
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx1g");
      cmd.addAll(jvmOptions);
      switch (launch) {
        case TRAINING -> cmd.add("-XX:AOTCacheOutput=" + aotCache());
        case AOT -> cmd.add("-XX:AOTCache=" + aotCache());
        case PLAIN -> {}
      }
      cmd.add("-Djava.io.tmpdir=" + work.resolve("tmp"));
      cmd.add("-Dmp.config.profile=production");
      cmd.add("-Dmp.jwt.verify.publickey.location=" + publicKey);
      cmd.add("-Dmp.jwt.verify.issuer=" + ISSUER);
      cmd.add("-Dagentwire.bench.bare-endpoint=true");
      // The benchmark measures the cost of a message, not the rate limit (the peer has none).
      cmd.add("-Dagentwire.limits.messages-per-second=1000000");
      cmd.addAll(
          List.of(
              "-jar",
              launch == Launch.PLAIN
                  ? base.resolve("target/payara-micro.jar").toString()
                  : root().resolve("launch-micro.jar").toString(),
              "--deploy",
              base.resolve("target/agentwire.war").toString(),
              "--contextroot",
              "/",
              "--port",
              Integer.toString(port),
              "--nohazelcast",
              "--disablephonehome",
              "--prebootcommandfile",
              base.resolve(
                      System.getProperty("bench.preboot", "payara-config/pre-boot-commands.txt"))
                  .toString(),
              "--logproperties",
              base.resolve("payara-config/logging.properties").toString()));
      s = Server.start(kind, port, cmd, base, log, null);
    }
    try {
      s.awaitReady(START_LIMIT);
    } catch (IOException notReady) {
      if (retried || !s.alive()) {
        s.close(Duration.ZERO); // nothing outlives a failed start (a hung one did, once)
        throw notReady;
      }
      log("start hung (" + notReady.getMessage() + "): killed, starting once more");
      s.close(Duration.ZERO);
      return start(kind, round, node, true);
    }
    if (round == 0) {
      return s;
    }
    record(
        kind,
        "start",
        Json.createObjectBuilder()
            .add("round", round)
            .add("seconds", s.secondsToReady)
            .add("rssMiB", s.rssAtReady / 1048576.0)
            .build());
    log(kind + " ready in " + String.format("%.2f", s.secondsToReady) + " s");
    return s;
  }

  /** The next port that nothing listens on now. */
  private int freePort() throws IOException {
    for (int tries = 0; tries < 50; tries++) {
      int port = nextPort++;
      try (var probe = new java.net.ServerSocket()) {
        probe.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException taken) {
        log("port " + port + " is taken; trying the next");
      }
    }
    throw new IOException("no free port from " + nextPort);
  }

  private void record(Kind kind, String scenario, JsonObject value) {
    results
        .computeIfAbsent(kind.name().toLowerCase() + "." + scenario, k -> new ArrayList<>())
        .add(value);
  }

  /** Whether {@code -Dbench.scenarios} (a comma list; all when empty) includes {@code name}. */
  private static boolean wanted(String name) {
    String only = System.getProperty("bench.scenarios", "").trim();
    return only.isEmpty() || List.of(only.split(",")).contains(name);
  }

  private void scenarios(Server s, int round) throws Exception {
    Sizes z = sizes;
    String warm = Integer.toString(z.warmupSeconds());
    if (z.warmupSeconds() > 0) {
      // Warm-up, the same for every server: a short closed loop and a small storm, not recorded.
      load(s, "loop", List.of("conns=10", "seconds=" + warm, "warmup=0"), cp -> {});
      load(s, "storm", List.of("n=" + Math.max(10, z.storm() / 10)), cp -> {});
    }

    if (wanted("storm")) {
      long logBefore = s.logLines();
      JsonObjectBuilder storm =
          Json.createObjectBuilder(load(s, "storm", List.of("n=" + z.storm()), cp -> {}));
      storm.add("round", round).add("listenOverflowsDuringStorm", lastOverflows);
      storm.add("serverLogLines", s.logLines() - logBefore);
      record(s.kind, "storm", storm.build());
    }
    if (wanted("loop")) {
      record(s.kind, "loop", cpuLoad(s, round, List.of("conns=10", "window=1")));
    }
    if (wanted("saturation")) {
      record(s.kind, "saturation", cpuLoad(s, round, List.of("conns=100", "window=4")));
    }
    boolean chosen = !System.getProperty("bench.scenarios", "").isBlank();
    if (round > 1 || (z.onlyComparative() && !chosen)) {
      return;
    }
    if (wanted("open")) {
      record(
          s.kind,
          "open",
          load(
              s,
              "open",
              List.of(
                  "conns=" + z.openConns(),
                  "rate=" + z.openRate(),
                  "seconds=" + z.openSeconds(),
                  "warmup=" + Math.min(5, z.warmupSeconds() * 2)),
              cp -> {}));
    }
    if (s.kind != Kind.BARE && wanted("runs")) {
      record(s.kind, "echoRuns", cpuLoad(s, round, "runs", List.of("agent=echo", "conns=50")));
      record(
          s.kind, "analyzeRuns", cpuLoad(s, round, "runs", List.of("agent=analyze", "conns=100")));
    }
    if (wanted("idle")) {
      record(s.kind, "idle", held(s));
    }
    if (wanted("churn")) {
      record(s.kind, "churn", churn(s));
    }
  }

  private long lastOverflows;

  /** {@link ClusterLatency}'s figures, when measured. */
  private JsonObject clusterLatency;

  private JsonObject cpuLoad(Server s, int round, List<String> extra) throws Exception {
    return cpuLoad(s, round, "loop", extra);
  }

  /** A load between two checkpoints, with the server's CPU time across them. */
  private JsonObject cpuLoad(Server s, int round, String scenario, List<String> extra)
      throws Exception {
    long[] ticks = new long[2];
    List<String> a = new ArrayList<>(extra);
    a.add("seconds=" + sizes.loopSeconds());
    a.add("warmup=" + sizes.warmupSeconds());
    JsonObject r =
        load(
            s,
            scenario,
            a,
            cp -> {
              try {
                ticks["start".equals(cp) ? 0 : 1] = s.cpuTicks();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    long cpuMicros = (ticks[1] - ticks[0]) * 10_000L; // USER_HZ is 100
    JsonObjectBuilder b =
        Json.createObjectBuilder(r).add("round", round).add("serverCpuMicros", cpuMicros);
    if (r.containsKey("messages") && r.getJsonNumber("messages").longValue() > 0) {
      b.add(
          "serverCpuMicrosPerMessage",
          (double) cpuMicros / r.getJsonNumber("messages").longValue());
    }
    return b.build();
  }

  /** Idle connections held: live heap and RSS per connection, from before to while held. */
  private JsonObject held(Server s) throws Exception {
    long[] heap = new long[3];
    long[] rss = new long[3];
    long[] fds = new long[3];
    JsonObject r =
        load(
            s,
            "idle",
            List.of("n=" + sizes.idle()),
            cp -> {
              int i =
                  switch (cp) {
                    case "before" -> 0;
                    case "held" -> 1;
                    default -> 2;
                  };
              try {
                heap[i] = s.liveHeapBytes();
                rss[i] = s.rssBytes();
                fds[i] = s.fds();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    int n = sizes.idle();
    return Json.createObjectBuilder(r)
        .add("liveHeapBeforeMiB", heap[0] / 1048576.0)
        .add("liveHeapHeldMiB", heap[1] / 1048576.0)
        .add("rssBeforeMiB", rss[0] / 1048576.0)
        .add("rssHeldMiB", rss[1] / 1048576.0)
        .add("liveHeapPerConnectionKB", (heap[1] - heap[0]) / 1000.0 / n)
        .add("rssPerConnectionKB", (rss[1] - rss[0]) / 1000.0 / n)
        .add("fdsHeld", fds[1] - fds[0])
        .build();
  }

  /** Churn: heap after GC, threads and fds before and after; after waits until fds settle. */
  private JsonObject churn(Server s) throws Exception {
    long[][] v = new long[2][3];
    JsonObject r =
        load(
            s,
            "churn",
            List.of(
                "n=" + sizes.churn(),
                "parallel=100",
                "warmup=" + (sizes.warmupSeconds() > 0 ? 500 : 0)),
            cp -> {
              int i = "before".equals(cp) ? 0 : 1;
              try {
                if (i == 1) {
                  settle(s, v[0][2]);
                }
                v[i][0] = s.liveHeapBytes();
                v[i][1] = s.threads();
                v[i][2] = s.fds();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    return Json.createObjectBuilder(r)
        .add("liveHeapBeforeMiB", v[0][0] / 1048576.0)
        .add("liveHeapAfterMiB", v[1][0] / 1048576.0)
        .add("liveHeapGrowthMiB", (v[1][0] - v[0][0]) / 1048576.0)
        .add("threadsBefore", v[0][1])
        .add("threadsAfter", v[1][1])
        .add("fdsBefore", v[0][2])
        .add("fdsAfter", v[1][2])
        .build();
  }

  /** Waits (at most 30 s) until the server holds no more descriptors than before the churn. */
  private static void settle(Server s, long fdsBefore) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (s.fds() > fdsBefore && System.nanoTime() < deadline) {
      Thread.sleep(100); // polling an outside process, bounded
    }
  }

  /** Runs one load-generator process to its RESULT, answering its checkpoints. */
  private JsonObject load(
      Server s, String scenario, List<String> extra, Consumer<String> atCheckpoint)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of("-Xmx2g", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path")));
    cmd.add(LoadGenerator.class.getName());
    cmd.add(scenario);
    cmd.add("url=" + s.wsUrl());
    if (s.kind != Kind.BARE) {
      cmd.add("tokens=" + tokens);
    }
    cmd.addAll(extra);
    long overflows = listenOverflows();
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(
                ProcessBuilder.Redirect.appendTo(work.resolve("logs/loadgen.log").toFile()))
            .start();
    JsonObject result = null;
    try (BufferedReader in =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Writer to = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("CHECKPOINT ")) {
          atCheckpoint.accept(line.substring(11));
          to.write("go\n");
          to.flush();
        } else if (line.startsWith("RESULT ")) {
          result = Json.createReader(new StringReader(line.substring(7))).readObject();
        }
      }
    }
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || result == null) {
      p.destroyForcibly();
      throw new IOException(
          "load generator " + scenario + " against " + s.kind + " failed; see logs/loadgen.log");
    }
    lastOverflows = listenOverflows() - overflows;
    log(s.kind + " " + scenario + " " + extra + ": " + result);
    return result;
  }

  /** TcpExt ListenOverflows, the counter nstat reports, read from /proc/net/netstat. */
  static long listenOverflows() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
    for (int i = 0; i + 1 < lines.size(); i += 2) {
      if (lines.get(i).startsWith("TcpExt:")) {
        String[] names = lines.get(i).split(" ");
        String[] values = lines.get(i + 1).split(" ");
        for (int k = 0; k < names.length; k++) {
          if (names[k].equals("ListenOverflows")) {
            return Long.parseLong(values[k]);
          }
        }
      }
    }
    return -1;
  }

  private JsonObject report(double seconds) throws Exception {
    JsonObjectBuilder machine =
        Json.createObjectBuilder()
            .add("cores", Runtime.getRuntime().availableProcessors())
            .add("memory", firstLine("/proc/meminfo"))
            .add(
                "jdk",
                System.getProperty("java.vm.name")
                    + " "
                    + System.getProperty("java.runtime.version"))
            .add("node", command("node", "--version"))
            .add("payara", System.getProperty("bench.payaraVersion", "?"))
            .add("serverJvmOptions", String.join(" ", jvmOptions))
            .add("kernel", command("uname", "-r"));
    JsonObjectBuilder all = Json.createObjectBuilder();
    results.forEach((k, v) -> all.add(k, Json.createArrayBuilder(List.copyOf(v))));
    return Json.createObjectBuilder()
        .add("mode", mode)
        .add("rounds", sizes.rounds())
        .add("when", Instant.now().toString())
        .add("seconds", seconds)
        .add(
            "command",
            "full".equals(mode)
                ? "mvn -B -Pbench package"
                : "mvn -B -Pbench package -Dbench.mode=smoke")
        .add("machine", machine)
        .add("results", all)
        .add("cluster", clusterLatency == null ? JsonValue.NULL : clusterLatency)
        .build();
  }

  private static String firstLine(String file) throws IOException {
    return Files.readAllLines(Path.of(file)).get(0).replaceAll("\\s+", " ");
  }

  private static String command(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(10, TimeUnit.SECONDS);
      return out;
    } catch (IOException | InterruptedException e) {
      return "not found";
    }
  }

  static String pretty(JsonValue v) {
    StringWriter w = new StringWriter();
    try (var g =
        Json.createWriterFactory(Map.of(JsonGenerator.PRETTY_PRINTING, true)).createWriter(w)) {
      g.write(v);
    }
    return w.toString().trim() + "\n";
  }
}
