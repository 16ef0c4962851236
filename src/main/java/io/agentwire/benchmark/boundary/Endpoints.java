package io.agentwire.benchmark.boundary;

import jakarta.websocket.Endpoint;
import jakarta.websocket.server.ServerApplicationConfig;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.Set;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Which WebSocket endpoints the WAR deploys (Jakarta WebSocket 2.2, section 6.2): every annotated
 * one it finds ({@code /ws}), plus the benchmark's {@link BareEchoEndpoint} only when {@value
 * #BARE_KEY} is true. The container calls this once at deployment, so the key is read then.
 */
public class Endpoints implements ServerApplicationConfig {

  /** A key for benchmarking only; false by default (META-INF/microprofile-config.properties). */
  public static final String BARE_KEY = "agentwire.bench.bare-endpoint";

  private final boolean bare;

  public Endpoints() {
    this(
        ConfigProvider.getConfig().getOptionalValue(BARE_KEY, Boolean.class).orElse(Boolean.FALSE));
  }

  Endpoints(boolean bare) {
    this.bare = bare;
  }

  @Override
  public Set<ServerEndpointConfig> getEndpointConfigs(Set<Class<? extends Endpoint>> scanned) {
    return bare
        ? Set.of(
            ServerEndpointConfig.Builder.create(BareEchoEndpoint.class, BareEchoEndpoint.PATH)
                .build())
        : Set.of();
  }

  @Override
  public Set<Class<?>> getAnnotatedEndpointClasses(Set<Class<?>> scanned) {
    return scanned;
  }
}
