package io.agentwire.connection.boundary;

import io.agentwire.connection.control.Connections;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.Map;

/**
 * Takes the token from the upgrade request (the {@code Authorization: Bearer} header, or the {@code
 * access_token} query parameter for browsers) and leaves it for set-up, which verifies it off the
 * container's thread and explains a failure with 4401 over the socket (PROTOCOL section 2).
 */
public class HandshakePolicy extends ServerEndpointConfig.Configurator {

  public static final String SUBPROTOCOL = "agentwire.v1";

  @Override
  public void modifyHandshake(
      ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
    String token = bearer(request.getHeaders()).orElseGet(() -> query(request.getParameterMap()));
    if (token != null) {
      config.getUserProperties().put(Connections.TOKEN, token);
    }
  }

  private static java.util.Optional<String> bearer(Map<String, List<String>> headers) {
    return headers.entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase("Authorization"))
        .flatMap(e -> e.getValue().stream())
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7).trim())
        .findFirst();
  }

  private static String query(Map<String, List<String>> parameters) {
    List<String> values = parameters.get("access_token");
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
