package io.agentwire.connection.control;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a connection needs of its WebSocket: an id, sends, pings and a close. The container's {@link
 * Session} is adapted once at open, so that everything above it is tested without one.
 */
public interface Transport {

  String id();

  boolean isOpen();

  /** Sends one text frame asynchronously; {@code done} gets null or the failure. */
  void send(String text, java.util.function.Consumer<Throwable> done);

  void ping() throws IOException;

  void close(CloseReason reason) throws IOException;

  /** The container's session as a transport. */
  static Transport of(Session socket) {
    return new Transport() {
      @Override
      public String id() {
        return socket.getId();
      }

      @Override
      public boolean isOpen() {
        return socket.isOpen();
      }

      @Override
      public void send(String text, java.util.function.Consumer<Throwable> done) {
        socket
            .getAsyncRemote()
            .sendText(text, result -> done.accept(result.isOK() ? null : result.getException()));
      }

      @Override
      public void ping() throws IOException {
        socket.getAsyncRemote().sendPing(ByteBuffer.allocate(0));
      }

      @Override
      public void close(CloseReason reason) throws IOException {
        socket.close(reason);
      }
    };
  }
}
