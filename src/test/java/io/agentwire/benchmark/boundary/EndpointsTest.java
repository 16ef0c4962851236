package io.agentwire.benchmark.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointsTest {

  @Test
  void bareEndpointOnlyWhenTheBenchmarkKeyIsOn() {
    assertThat(new Endpoints(false).getEndpointConfigs(Set.of(BareEchoEndpoint.class))).isEmpty();
    assertThat(new Endpoints(true).getEndpointConfigs(Set.of()))
        .extracting(ServerEndpointConfig::getPath, ServerEndpointConfig::getEndpointClass)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("/bench/echo", BareEchoEndpoint.class));
  }

  @Test
  void annotatedEndpointsAreDeployedAsFound() {
    Set<Class<?>> scanned = Set.of(String.class, Integer.class);
    assertThat(new Endpoints(false).getAnnotatedEndpointClasses(scanned)).isEqualTo(scanned);
    assertThat(new Endpoints(true).getAnnotatedEndpointClasses(scanned)).isEqualTo(scanned);
  }
}
