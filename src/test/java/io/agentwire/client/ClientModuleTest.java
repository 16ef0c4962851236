package io.agentwire.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs the unit tests of {@code agentwire-client.js} ({@code src/test/js}, Node's built-in {@code
 * node --test}) as part of {@code mvn test}, and fails when any of them fails. Without Node.js (a
 * machine with only Java and Maven) it is skipped; under CI ({@code CI=true}) it must run.
 */
class ClientModuleTest {

  @Test
  void reconnectLogicPassesItsNodeTests() throws Exception {
    Assumptions.assumeTrue(
        "true".equals(System.getenv("CI")) || nodeInstalled(),
        "Node.js is not installed: the client module's tests (node --test src/test/js/) are skipped");
    Path log =
        Path.of(
            System.getProperty("agentwire.buildDirectory", "target"), "client-module-tests.log");
    Files.createDirectories(log.getParent());
    Process node =
        new ProcessBuilder("node", "--test", "src/test/js/")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean finished = node.waitFor(120, TimeUnit.SECONDS);
    if (!finished) {
      node.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(finished).as("finished: %s", output).isTrue();
    assertThat(node.exitValue()).as(output).isZero();
    // An empty run passes too: make sure the tests were found and ran.
    assertThat(output).containsPattern("(?m)^# pass [1-9]\\d*$").contains("# fail 0");
  }

  private static boolean nodeInstalled() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
