package io.agentwire.readiness.control;

import io.agentwire.readiness.entity.Strictness;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The readiness settings; defaults per profile live in META-INF/microprofile-config.properties. */
@ApplicationScoped
public class ReadinessSettings {

  @Inject
  @ConfigProperty(name = "agentwire.readiness.strictness")
  Strictness strictness;

  @Inject
  @ConfigProperty(name = "agentwire.readiness.deadline")
  Duration deadline;

  @Inject
  @ConfigProperty(name = "agentwire.readiness.hold.max-messages")
  int holdMaxMessages;

  @Inject
  @ConfigProperty(name = "agentwire.chaos.init-delay")
  Duration initDelay;

  public Strictness strictness() {
    return strictness;
  }

  public Duration deadline() {
    return deadline;
  }

  public int holdMaxMessages() {
    return holdMaxMessages;
  }

  /** Fault injection: how long set-up is held back after authentication. */
  public Duration initDelay() {
    return initDelay;
  }
}
