package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests ({@code src/main/kubernetes/agentwire.yaml}) against what they must
 * agree with: the probes name the three health endpoints of PROTOCOL section 1, the pod's grace
 * outlasts the drain, the {@code preStop} hook calls the drain, and every Payara Micro flag in the
 * container's arguments is one that this Payara Micro accepts (its own {@code --help}, run here: a
 * flag it does not know stops it at start-up).
 */
class KubernetesManifestIT {

  static final Path MANIFEST = Path.of("src/main/kubernetes/agentwire.yaml");

  /** What Payara Micro takes to stop after the drain (undeploy, Grizzly, thread pools: ~5 s). */
  static final Duration PAYARA_STOP = Duration.ofSeconds(5);

  static List<Map<String, Object>> documents = new ArrayList<>();
  static Map<String, Object> deployment;
  static Map<String, Object> container;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void read() throws IOException {
    for (Object doc : new Yaml().loadAll(Files.readString(MANIFEST))) {
      if (doc != null) {
        documents.add((Map<String, Object>) doc);
      }
    }
    deployment = one("Deployment");
    Map<String, Object> pod = map(map(deployment, "spec", "template"), "spec");
    container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
  }

  @Test
  void theProbesNameTheThreeHealthEndpointsOnTheHttpPort() {
    assertThat(probePath("startupProbe")).isEqualTo("/health/started");
    assertThat(probePath("livenessProbe")).isEqualTo("/health/live");
    assertThat(probePath("readinessProbe")).isEqualTo("/health/ready");
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(map(container, probe, "httpGet").get("port")).isEqualTo("http");
    }
    assertThat(containerPort("http")).isEqualTo(8080);
    assertThat(arg("--port")).isEqualTo("8080");
  }

  @Test
  void thePodsGraceOutlastsTheDrainAndPayarasStop() throws IOException {
    Duration grace = setting("AGENTWIRE_DRAIN_GRACE", "agentwire.drain.grace");
    Duration spread = setting("AGENTWIRE_DRAIN_SPREAD", "agentwire.drain.spread");
    long termination =
        ((Number) map(deployment, "spec", "template", "spec").get("terminationGracePeriodSeconds"))
            .longValue();

    assertThat(Duration.ofSeconds(termination))
        .as("terminationGracePeriodSeconds against grace %s + spread %s + stop", grace, spread)
        .isGreaterThan(grace.plus(spread).plus(PAYARA_STOP));
    // A liveness probe must not kill a pod that is slow to start: the startup probe guards it.
    Map<String, Object> startup = map(container, "startupProbe");
    long startupSeconds =
        ((Number) startup.get("periodSeconds")).longValue()
            * ((Number) startup.get("failureThreshold")).longValue();
    assertThat(startupSeconds).as("seconds the startup probe allows").isGreaterThanOrEqualTo(120);
  }

  @Test
  void preStopPostsTheDrainWithTheAdminToken() {
    String hook =
        String.join(" ", strings(map(container, "lifecycle", "preStop", "exec"), "command"));

    assertThat(hook).contains("POST").contains("/api/admin/drain");
    assertThat(hook).contains("Authorization: Bearer").contains("$AGENTWIRE_DRAIN_TOKEN");
    assertThat(env("AGENTWIRE_DRAIN_TOKEN")).containsKey("valueFrom"); // a Secret, not a literal
  }

  @Test
  void theClusterIsFoundThroughTheHeadlessServiceWithPayarasOwnFlag() {
    String mode = arg("--clustermode");
    Matcher m = Pattern.compile("kubernetes:([a-z0-9-]+),([a-z0-9-]+)").matcher(mode);
    assertThat(m.matches()).as("--clustermode %s", mode).isTrue();
    Map<String, Object> headless =
        documents.stream()
            .filter(d -> "Service".equals(d.get("kind")))
            .filter(d -> "None".equals(map(d, "spec").get("clusterIP")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no headless Service"));
    assertThat(map(headless, "metadata").get("name")).isEqualTo(m.group(2));
    assertThat(map(headless, "spec").get("publishNotReadyAddresses")).isEqualTo(true);
    assertThat(one("PodDisruptionBudget")).isNotNull();
    assertThat(one("ServiceAccount")).isNotNull();
  }

  @Test
  void everyFlagIsOneThisPayaraMicroAccepts() throws Exception {
    Set<String> known = payaraMicroFlags();
    assertThat(known).as("flags from payara-micro.jar --help").contains("--deploy", "--port");

    List<String> flags =
        strings(container, "args").stream().filter(a -> a.startsWith("--")).toList();
    assertThat(flags).isNotEmpty();
    assertThat(known).as("the flags Payara Micro accepts").containsAll(flags);
  }

  /** The image holds payara-config/ at /opt/payara/agentwire-config/ (src/main/docker). */
  @Test
  void everyConfigurationFileTheArgumentsNameExists() {
    String prefix = "/opt/payara/agentwire-config/";
    List<String> files =
        strings(container, "args").stream().filter(a -> a.startsWith(prefix)).toList();
    assertThat(files)
        .as("boot commands, logging and the cluster's failure detection")
        .contains(prefix + "cluster.properties");
    for (String f : files) {
      assertThat(java.nio.file.Path.of("payara-config", f.substring(prefix.length())))
          .as("%s in the image", f)
          .isRegularFile();
    }
  }

  // --- helpers ---

  /** The flags {@code java -jar payara-micro.jar --help} lists. */
  static Set<String> payaraMicroFlags() throws Exception {
    Path jar =
        Path.of(System.getProperty("payara.microJar", "target/payara-micro.jar")).toAbsolutePath();
    Path out =
        Files.createTempFile(
            Path.of(System.getProperty("agentwire.buildDirectory", "target")),
            "payara-help",
            ".txt");
    Process help =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                jar.toString(),
                "--help")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    if (!help.waitFor(120, TimeUnit.SECONDS)) {
      help.destroyForcibly();
      throw new AssertionError("payara-micro --help did not end");
    }
    Set<String> flags = new HashSet<>();
    Matcher m =
        Pattern.compile("(?m)(--[a-zA-Z]+)").matcher(Files.readString(out, StandardCharsets.UTF_8));
    while (m.find()) {
      flags.add(m.group(1));
    }
    return flags;
  }

  static Duration setting(String env, String key) throws IOException {
    Map<String, Object> e = env(env);
    if (e != null && e.get("value") != null) {
      return Duration.parse((String) e.get("value"));
    }
    Properties defaults = new Properties();
    try (InputStream in =
        Files.newInputStream(
            Path.of("src/main/resources/META-INF/microprofile-config.properties"))) {
      defaults.load(in);
    }
    return Duration.parse(defaults.getProperty(key));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> env(String name) {
    return ((List<Map<String, Object>>) container.get("env"))
        .stream().filter(e -> name.equals(e.get("name"))).findFirst().orElse(null);
  }

  static String probePath(String probe) {
    return (String) map(container, probe, "httpGet").get("path");
  }

  @SuppressWarnings("unchecked")
  static int containerPort(String name) {
    return ((List<Map<String, Object>>) container.get("ports"))
        .stream()
            .filter(p -> name.equals(p.get("name")))
            .map(p -> ((Number) p.get("containerPort")).intValue())
            .findFirst()
            .orElseThrow();
  }

  /** The value after {@code flag} in the container's arguments. */
  static String arg(String flag) {
    List<String> args = strings(container, "args");
    int i = args.indexOf(flag);
    assertThat(i).as("%s in %s", flag, args).isNotNegative();
    return args.get(i + 1);
  }

  @SuppressWarnings("unchecked")
  static List<String> strings(Map<String, Object> m, String key) {
    return ((List<Object>) m.get(key)).stream().map(String::valueOf).toList();
  }

  static Map<String, Object> one(String kind) {
    return documents.stream()
        .filter(d -> kind.equals(d.get("kind")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " in " + MANIFEST));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> m, String... path) {
    Map<String, Object> at = m;
    for (String key : path) {
      Object next = at.get(key);
      assertThat(next).as("%s in %s", key, at.keySet()).isInstanceOf(Map.class);
      at = (Map<String, Object>) next;
    }
    return at;
  }
}
