package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live heap of the Payara Micro process under test, read from outside with {@code jcmd
 * GC.class_histogram}, which runs a full GC first and then counts only reachable objects. The
 * managed container is a child process of the test JVM.
 */
final class ServerHeap {

  /** One histogram: live instances and bytes by class name, and the total live bytes. */
  record Histogram(Map<String, Long> instances, long totalBytes) {
    long count(String className) {
      return instances.getOrDefault(className, 0L);
    }
  }

  private static final Pattern ROW =
      Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)(?:\\s.*)?$");
  private static final Pattern TOTAL = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

  private ServerHeap() {}

  /** The classes whose live instances grew most from {@code before} to {@code after}. */
  static List<String> growth(Histogram before, Histogram after, int top) {
    return after.instances().entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.count(e.getKey())))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .map(e -> e.getKey() + " +" + e.getValue())
        .toList();
  }

  static long serverPid() {
    List<ProcessHandle> servers =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.info().commandLine().orElse("").contains("payara-micro"))
            .toList();
    assertThat(servers).as("the Payara Micro process under test").hasSize(1);
    return servers.get(0).pid();
  }

  static Histogram histogram() throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Path jcmd = Path.of(java).resolveSibling("jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(serverPid()), "GC.class_histogram")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
    assertThat(p.exitValue()).as("jcmd: %s", out.lines().limit(5).toList()).isZero();
    Map<String, Long> instances = new HashMap<>();
    long total = -1;
    for (String line : out.split("\n")) {
      Matcher row = ROW.matcher(line);
      if (row.matches()) {
        instances.merge(row.group(3), Long.parseLong(row.group(1)), Long::sum);
        continue;
      }
      Matcher t = TOTAL.matcher(line.trim());
      if (t.matches()) {
        total = Long.parseLong(t.group(2));
      }
    }
    assertThat(total).as("the histogram's total line").isPositive();
    return new Histogram(instances, total);
  }
}
