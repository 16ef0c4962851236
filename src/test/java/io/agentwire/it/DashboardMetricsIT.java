package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agentwire.security.TestTokens;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every metric the provisioned Grafana dashboard ({@code src/main/compose/grafana/dashboards})
 * queries exists at {@code /metrics} once the server has done what the panel shows (a ready, a run,
 * a close): a renamed metric shows as an empty panel nowhere but in production otherwise.
 */
@ExtendWith(ArquillianExtension.class)
class DashboardMetricsIT {

  static final Path DASHBOARD = Path.of("src/main/compose/grafana/dashboards/agentwire.json");

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.agentwire("mp.config.profile=development");
  }

  @ArquillianResource URL base;

  @Test
  void everyMetricTheDashboardQueriesIsExported() throws Exception {
    Ws ws =
        Ws.connect(base, TestTokens.development("agentwire-development", "dash", "agentwire-user"));
    ws.next("ready");
    ws.send("{\"type\":\"run\",\"agent\":\"echo\",\"input\":1,\"runId\":\"d-1\"}");
    ws.next("agent_started");
    ws.next("agent_completed");
    ws.close();
    ws.awaitClose();
    await("the close is counted")
        .atMost(Ws.WAIT)
        .until(() -> Http.get(base, "/metrics", null).body().contains("agentwire_closes_total{"));

    Set<String> queried = queriedMetrics();
    String metrics = Http.get(base, "/metrics", null).body();

    assertThat(queried).as("metrics the dashboard queries").hasSizeGreaterThanOrEqualTo(10);
    for (String name : queried) {
      assertThat(metrics)
          .as("a sample of %s at /metrics", name)
          .containsPattern("(?m)^" + Pattern.quote(name) + "[{ ]");
    }
  }

  /** Every {@code agentwire_*} name in the dashboard's queries. */
  static Set<String> queriedMetrics() throws Exception {
    JsonObject dashboard =
        Json.createReader(new StringReader(Files.readString(DASHBOARD))).readObject();
    Set<String> names = new TreeSet<>();
    Pattern metric = Pattern.compile("agentwire_[a-z_]+");
    for (JsonValue panel : dashboard.getJsonArray("panels")) {
      for (JsonValue target : panel.asJsonObject().getJsonArray("targets")) {
        Matcher m = metric.matcher(target.asJsonObject().getString("expr"));
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    return names;
  }
}
