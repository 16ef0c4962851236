package io.agentwire.connection.control;

import io.agentwire.agent.control.Peer;
import io.agentwire.agent.control.Runs;
import io.agentwire.connection.entity.ClientMessage;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.Decoded;
import io.agentwire.protocol.control.ServerMessageEncoder;
import io.agentwire.protocol.entity.ErrorCode;
import io.agentwire.protocol.entity.ServerMessage;
import io.agentwire.session.entity.StreamSession;
import java.util.Optional;

/**
 * Handles one message of a ready connection: decoded once, then one branch per type. The agent side
 * sees the connection only as a {@link Peer} for the request at hand.
 */
public final class MessageDispatch {

  private final MessageDecoder decoder;
  private final Delivery delivery;
  private final ClosePolicy closes;
  private final Runs runs;
  private final ServerMessageEncoder encoder;

  public MessageDispatch(
      MessageDecoder decoder,
      Delivery delivery,
      ClosePolicy closes,
      Runs runs,
      ServerMessageEncoder encoder) {
    this.decoder = decoder;
    this.encoder = encoder;
    this.delivery = delivery;
    this.closes = closes;
    this.runs = runs;
  }

  void handle(Connection c, String text) {
    Decoded decoded = decoder.decode(text);
    if (decoded instanceof Decoded.Refused refused) {
      delivery.send(c, error(refused.code(), refused.message(), refused.ref()));
      return;
    }
    switch (((Decoded.Message) decoded).message()) {
      case ClientMessage.Ping ping ->
          delivery.send(c, encoder.encode(new ServerMessage.Pong(ping.id())));
      case ClientMessage.Run run -> runs.start(peer(c), run.agent(), run.input(), run.runId());
      case ClientMessage.Cancel cancel -> runs.cancel(peer(c), cancel.runId());
      case ClientMessage.Ack ack -> c.session().ifPresent(s -> s.acknowledge(ack.seq()));
    }
  }

  private String error(ErrorCode code, String message, String ref) {
    return encoder.encode(new ServerMessage.Error(code, message, Optional.ofNullable(ref)));
  }

  private Peer peer(Connection c) {
    return new Peer() {
      @Override
      public Optional<StreamSession> session() {
        return c.session();
      }

      @Override
      public String logId() {
        return c.logId();
      }

      @Override
      public void refuse(ErrorCode code, String message, String ref) {
        delivery.send(c, error(code, message, ref));
      }

      @Override
      public void runStarted() {
        closes.transition(c, new ConnectionEvent.RunStarted());
      }
    };
  }
}
