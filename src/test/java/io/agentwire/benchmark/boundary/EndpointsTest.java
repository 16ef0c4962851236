package io.agentwire.benchmark.boundary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointsTest {

  @Test
  void bareEndpointOnlyWhenTheBenchmarkKeyIsOn() {
    // Off: nothing, even though the scan found the class. On needs Tyrus to build the config:
    // the benchmark's smoke run (.ci/run) loads /bench/echo, and ProductionProfileIT sees the 404.
    assertThat(new Endpoints(false).getEndpointConfigs(Set.of(BareEchoEndpoint.class))).isEmpty();
    assertThatThrownBy(() -> new Endpoints(true).getEndpointConfigs(Set.of()))
        .as("on, it builds a config (which needs the container's configurator)")
        .hasMessageContaining("configurator");
  }

  @Test
  void annotatedEndpointsAreDeployedAsFound() {
    Set<Class<?>> scanned = Set.of(String.class, Integer.class);
    assertThat(new Endpoints(false).getAnnotatedEndpointClasses(scanned)).isEqualTo(scanned);
    assertThat(new Endpoints(true).getAnnotatedEndpointClasses(scanned)).isEqualTo(scanned);
  }
}
