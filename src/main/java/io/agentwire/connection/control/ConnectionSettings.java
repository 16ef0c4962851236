package io.agentwire.connection.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Per-connection limits and timing, announced to the client in {@code ready}. */
@ApplicationScoped
public class ConnectionSettings {

  @Inject
  @ConfigProperty(name = "agentwire.limits.max-message-bytes")
  int maxMessageBytes;

  @Inject
  @ConfigProperty(name = "agentwire.limits.runs-per-connection")
  int runsPerConnection;

  @Inject
  @ConfigProperty(name = "agentwire.limits.messages-per-second")
  int messagesPerSecond;

  @Inject
  @ConfigProperty(name = "agentwire.limits.outbound-bytes")
  long outboundBytes;

  @Inject
  @ConfigProperty(name = "agentwire.heartbeat.interval")
  Duration heartbeat;

  @Inject
  @ConfigProperty(name = "agentwire.limits.connections-per-subject")
  int connectionsPerSubject;

  public int connectionsPerSubject() {
    return connectionsPerSubject;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  public int runsPerConnection() {
    return runsPerConnection;
  }

  public int messagesPerSecond() {
    return messagesPerSecond;
  }

  public long outboundBytes() {
    return outboundBytes;
  }

  public Duration heartbeat() {
    return heartbeat;
  }
}
