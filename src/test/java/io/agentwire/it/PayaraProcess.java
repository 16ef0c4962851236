package io.agentwire.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Payara Micro process with the built WAR, started the way the README starts it, for tests
 * that signal or end the process itself (Arquillian's container must outlive its tests). Closing it
 * kills the process if it is still alive, so a failed test leaves nothing running.
 */
public final class PayaraProcess implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final URL base;

  private PayaraProcess(Process process, Path log, URL base) {
    this.process = process;
    this.log = log;
    this.base = base;
  }

  /**
   * Starts Payara Micro with {@code settings} as system properties (which MicroProfile Config reads
   * before the WAR's defaults) and waits, bounded, until {@code /health/ready} is UP.
   */
  public static PayaraProcess start(String name, Map<String, String> settings) throws IOException {
    return start(name, settings, List.of("--nohazelcast"));
  }

  /**
   * As {@link #start(String, Map)}, with {@code grid} as Payara Micro's data grid flags ({@code
   * --nohazelcast}, {@code --nocluster}, or the {@code --clustermode} flags of a cluster).
   */
  public static PayaraProcess start(String name, Map<String, String> settings, List<String> grid)
      throws IOException {
    Path build = Path.of(System.getProperty("agentwire.buildDirectory", "target"));
    Path log = build.resolve(name + ".log");
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(
        List.of(
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.io.tmpdir=" + build.toAbsolutePath()));
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(
        List.of(
            "-jar",
            System.getProperty("payara.microJar", build.resolve("payara-micro.jar").toString()),
            "--deploy",
            build.resolve("agentwire.war").toString(),
            "--contextroot",
            "/",
            "--port",
            Integer.toString(port),
            "--disablephonehome",
            "--prebootcommandfile",
            "payara-config/pre-boot-commands.txt",
            "--logproperties",
            "payara-config/logging.properties"));
    cmd.addAll(grid);
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PayaraProcess payara = new PayaraProcess(p, log, new URL("http://127.0.0.1:" + port + "/"));
    try {
      await(name + " ready (log: " + log + ")")
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                if (!p.isAlive()) {
                  throw new IllegalStateException(
                      name + " exited with " + p.exitValue() + ": " + payara.logTail());
                }
                return payara.ready() == 200;
              });
    } catch (RuntimeException | Error e) {
      payara.close();
      throw e;
    }
    return payara;
  }

  public URL base() {
    return base;
  }

  Process process() {
    return process;
  }

  /** The status of {@code /health/ready}, or -1 if the server does not answer. */
  int ready() {
    try {
      return Http.get(base, "/health/ready", null).status();
    } catch (AssertionError notListening) {
      return -1;
    }
  }

  /** SIGKILL: the instance dies without draining, as in a crash. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** A free TCP port on loopback, for a data grid member. */
  public static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  /** SIGTERM, as Kubernetes and Docker stop a container ({@link Process#destroy()} on Unix). */
  void terminate() {
    process.destroy();
  }

  /** Waits, at most {@code max}, for the process to exit; its status, or empty if it did not. */
  java.util.OptionalInt awaitExit(Duration max) throws InterruptedException {
    return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)
        ? java.util.OptionalInt.of(process.exitValue())
        : java.util.OptionalInt.empty();
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public String logText() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
