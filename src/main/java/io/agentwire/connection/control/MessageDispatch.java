package io.agentwire.connection.control;

import io.agentwire.agent.control.Runs;
import io.agentwire.connection.boundary.MessageDecoder;
import io.agentwire.connection.entity.ClientMessage;
import io.agentwire.connection.entity.Decoded;
import io.agentwire.connection.entity.ServerMessages;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Handles one message of a ready connection: decoded once, then one branch per type. */
@ApplicationScoped
public class MessageDispatch {

  @Inject MessageDecoder decoder;
  @Inject Connections connections;
  @Inject Runs runs;

  void handle(Connection c, String text) {
    Decoded decoded = decoder.decode(text);
    if (decoded instanceof Decoded.Refused refused) {
      connections.send(c, ServerMessages.error(refused.code(), refused.message(), refused.ref()));
      return;
    }
    ClientMessage message = ((Decoded.Message) decoded).message();
    if (message instanceof ClientMessage.Ping ping) {
      connections.send(c, ServerMessages.pong(ping.id()));
    } else if (message instanceof ClientMessage.Run run) {
      runs.start(c, run);
    } else if (message instanceof ClientMessage.Cancel cancel) {
      runs.cancel(c, cancel.runId());
    } else if (message instanceof ClientMessage.Ack ack) {
      c.session().ifPresent(s -> s.acknowledge(ack.seq()));
    } else {
      throw new IllegalStateException("unhandled message type " + message.type());
    }
  }
}
