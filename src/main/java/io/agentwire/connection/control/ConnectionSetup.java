package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.readiness.control.Instance;
import io.agentwire.readiness.control.ReadinessSettings;
import io.agentwire.readiness.entity.SetupStep;
import io.agentwire.security.control.TokenVerifier;
import io.agentwire.security.entity.TokenVerdict;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The asynchronous set-up of a connection, off the socket thread: authentication, then (after the
 * fault-injection delay, if any) registration, the outbound queue and the session. Each finished
 * step and the deadline ask the gate for its verdict; nothing waits or polls.
 */
@ApplicationScoped
public class ConnectionSetup {

  @Inject ReadinessSettings readiness;
  @Inject TokenVerifier verifier;
  @Inject Connections connections;
  @Inject ReadyGate gate;
  @Inject Instance instance;

  @Resource ManagedExecutorService executor;
  @Resource ManagedScheduledExecutorService scheduler;

  void begin(Connection c) {
    if (!instance.started() || instance.draining()) {
      // Told over the socket so that browsers learn why (PROTOCOL section 2).
      String why = instance.draining() ? "draining" : "starting";
      connections.close(c, CloseCode.NOT_READY, CloseCode.NOT_READY.reason(why), false);
      return;
    }
    c.timer(
        scheduler.schedule(
            () -> gate.advance(c), readiness.deadline().toMillis(), TimeUnit.MILLISECONDS));
    executor.execute(() -> authenticate(c));
  }

  private void authenticate(Connection c) {
    TokenVerdict verdict = verifier.verify(c.takeToken());
    if (verdict instanceof TokenVerdict.Rejected rejected) {
      c.failed(SetupStep.AUTHENTICATION);
      connections.close(
          c, CloseCode.UNAUTHORIZED, CloseCode.UNAUTHORIZED.reason(rejected.why()), false);
      return;
    }
    TokenVerdict.Verified verified = (TokenVerdict.Verified) verdict;
    c.authenticated(verified.subject(), verified.groups(), verified.expiresAt());
    if (!connections.admit(c, verified.subject())) {
      connections.close(c, CloseCode.TOO_MANY, "too many connections", false);
      return;
    }
    synchronized (c) {
      if (c.state().isEnding()) {
        return;
      }
      connections.transition(c, new ConnectionEvent.Authenticated(verified.subject()));
      c.finished(SetupStep.AUTHENTICATION);
    }
    expireWithToken(c, verified.expiresAt());
    Duration delay = readiness.initDelay();
    if (delay.isZero() || delay.isNegative()) {
      services(c);
    } else {
      c.timer(scheduler.schedule(() -> services(c), delay.toMillis(), TimeUnit.MILLISECONDS));
    }
    gate.advance(c);
  }

  /** A token that expires while the connection is open closes it at expiry plus skew (4401). */
  private void expireWithToken(Connection c, java.time.Instant expiresAt) {
    long millis =
        Duration.between(java.time.Instant.now(), expiresAt.plus(verifier.clockSkew())).toMillis();
    c.timer(
        scheduler.schedule(
            () ->
                connections.close(
                    c,
                    CloseCode.UNAUTHORIZED,
                    CloseCode.UNAUTHORIZED.reason("token expired"),
                    false),
            Math.max(0, millis) + 1,
            TimeUnit.MILLISECONDS));
  }

  private void services(Connection c) {
    connections.register(c);
    synchronized (c) {
      if (!c.state().isEnding()) {
        c.finished(SetupStep.OUTBOUND);
      }
    }
    connections.attachSession(c);
    synchronized (c) {
      if (c.state().isSettingUp()) {
        connections.transition(c, new ConnectionEvent.ServicesReady());
      }
    }
    gate.advance(c);
  }
}
