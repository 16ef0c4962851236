package io.agentwire.benchmark.boundary;

import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;

/**
 * The benchmark's baseline on the same server: a WebSocket that sends one fixed {@code ready} frame
 * and echoes every text frame, with no token, state machine, JSON or executor. "agentwire / bare"
 * in {@code BENCHMARKS.md} is the cost of agentwire's lifecycle over Tyrus's own (both under the
 * same container defaults, {@code ContainerDefaults}). Deployed only when {@code
 * agentwire.bench.bare-endpoint} is true ({@link Endpoints}); never on by default.
 */
public class BareEchoEndpoint extends Endpoint {

  static final String PATH = "/bench/echo";
  private static final String READY = "{\"type\":\"ready\",\"bare\":true}";

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    var remote = session.getAsyncRemote();
    remote.sendText(READY);
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) remote::sendText);
  }
}
