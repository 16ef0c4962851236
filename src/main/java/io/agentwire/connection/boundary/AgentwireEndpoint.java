package io.agentwire.connection.boundary;

import io.agentwire.connection.control.Connections;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

/** The WebSocket at {@code /ws}. Thin: every callback forwards to {@link Connections}. */
@ServerEndpoint(
    value = "/ws",
    subprotocols = HandshakePolicy.SUBPROTOCOL,
    configurator = HandshakePolicy.class)
public class AgentwireEndpoint {

  @Inject Connections connections;

  @OnOpen
  public void open(Session socket) {
    connections.open(socket);
  }

  /** Fragments, not whole messages: agentwire applies its own size limit while assembling. */
  @OnMessage
  public void text(Session socket, String fragment, boolean last) {
    connections.receive(socket, fragment, last);
  }

  @OnMessage
  public void binary(Session socket, ByteBuffer ignored) {
    connections.receiveBinary(socket);
  }

  @OnMessage
  public void pong(Session socket, PongMessage pong) {
    connections.pong(socket);
  }

  @OnClose
  public void close(Session socket, CloseReason reason) {
    connections.closed(socket, reason);
  }

  @OnError
  public void error(Session socket, Throwable error) {
    connections.failed(socket, error);
  }
}
