package io.agentwire.connection.control;

import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionEvent;
import io.agentwire.connection.entity.SetupStep;
import io.agentwire.security.entity.TokenVerdict;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every set-up step of a connection, end to end and off the socket thread: authentication,
 * per-subject admission, then (after the fault-injection delay, if any) registration, the outbound
 * queue and the session, and their local completion when a permissive {@code ready} goes out
 * degraded. Each finished step asks the gate for its verdict; nothing waits or polls. An unexpected
 * exception in a step is a defect: 1011 with an incident id, never silence until the deadline.
 */
public final class ConnectionSetup {

  private final Executor executor;
  private final Function<String, TokenVerdict> verifier;
  private final ConnectionRegistry registry;
  private final ClosePolicy closes;
  private final Function<SessionRequest, SessionGrant> sessions;
  private final Supplier<Optional<String>> refusal;
  private final Duration initDelay;
  private Consumer<Connection> advance = c -> {};

  /**
   * @param verifier the verdict on a token
   * @param sessions the session a connection gets: resumed, or new
   * @param refusal why the instance takes no connection now ({@code starting}, {@code draining})
   * @param initDelay fault injection: how long the services steps are held back
   */
  public ConnectionSetup(
      Executor executor,
      Function<String, TokenVerdict> verifier,
      ConnectionRegistry registry,
      ClosePolicy closes,
      Function<SessionRequest, SessionGrant> sessions,
      Supplier<Optional<String>> refusal,
      Duration initDelay) {
    this.executor = executor;
    this.verifier = verifier;
    this.registry = registry;
    this.closes = closes;
    this.sessions = sessions;
    this.refusal = refusal;
    this.initDelay = initDelay;
  }

  /** Who is asked for the verdict after each step: the gate. */
  public void advanceWith(Consumer<Connection> advance) {
    this.advance = advance;
  }

  public void begin(Connection c) {
    Optional<String> why = refusal.get();
    if (why.isPresent()) {
      // Told over the socket so that browsers learn why (PROTOCOL section 2).
      closes.close(c, CloseCode.NOT_READY, CloseCode.NOT_READY.reason(why.get()), false);
      return;
    }
    step(c, "authentication", () -> authenticate(c));
  }

  private void step(Connection c, String name, Runnable step) {
    Runnable guarded =
        () -> {
          try {
            step.run();
          } catch (RuntimeException | Error e) {
            closes.defect(c, "set-up step " + name + " failed", e);
          }
        };
    try {
      executor.execute(guarded);
    } catch (RejectedExecutionException e) {
      closes.close(c, CloseCode.NOT_READY, CloseCode.NOT_READY.reason(name), false);
    }
  }

  void authenticate(Connection c) {
    TokenVerdict verdict = verifier.apply(c.takeToken());
    if (verdict instanceof TokenVerdict.Rejected rejected) {
      c.failed(SetupStep.AUTHENTICATION);
      closes.close(c, CloseCode.UNAUTHORIZED, CloseCode.UNAUTHORIZED.reason(rejected.why()), false);
      return;
    }
    TokenVerdict.Verified verified = (TokenVerdict.Verified) verdict;
    c.authenticated(verified.subject(), verified.groups(), verified.expiresAt());
    if (!registry.admit(c, verified.subject())) {
      closes.close(c, CloseCode.TOO_MANY, "too many connections", false);
      return;
    }
    synchronized (c) {
      if (c.state().isEnding()) {
        return;
      }
      closes.transition(c, new ConnectionEvent.Authenticated(verified.subject()));
      c.finished(SetupStep.AUTHENTICATION);
    }
    if (initDelay.isZero() || initDelay.isNegative()) {
      services(c);
    } else {
      c.servicesAfter(initDelay); // the sweeper runs them when due
      advance.accept(c);
    }
  }

  /** Registration, outbound and session, then the verdict. */
  void services(Connection c) {
    register(c);
    synchronized (c) {
      if (!c.state().isEnding()) {
        c.finished(SetupStep.OUTBOUND);
      }
    }
    attachSession(c);
    synchronized (c) {
      if (c.state().isSettingUp()) {
        closes.transition(c, new ConnectionEvent.ServicesReady());
      }
    }
    advance.accept(c);
  }

  /** The services steps run from the sweeper when fault injection held them back. */
  void servicesDue(Connection c) {
    try {
      services(c);
    } catch (RuntimeException | Error e) {
      closes.defect(c, "set-up step services failed", e);
    }
  }

  /** Registration: the connection gets its id and is published. Idempotent. */
  void register(Connection c) {
    synchronized (c) {
      if (c.hasFinished(SetupStep.REGISTRATION) || c.state().isEnding()) {
        return;
      }
      String id = UUID.randomUUID().toString();
      c.assignId(id);
      registry.identified(c, id);
      c.finished(SetupStep.REGISTRATION);
    }
  }

  /**
   * The session step: the session the connection resumes, or a new one for the subject. Its events
   * flow to the connection from {@code ready} on, when the gate attaches it.
   */
  void attachSession(Connection c) {
    synchronized (c) {
      if (c.hasFinished(SetupStep.SESSION) || c.state().isEnding()) {
        return;
      }
      c.granted(sessions.apply(c.sessionRequest(c.subject().orElseThrow())));
      c.finished(SetupStep.SESSION);
    }
  }

  /**
   * Permissive only: steps that missed the deadline are completed in their local form when a
   * degraded {@code ready} goes out, so that it can name an id and a session.
   */
  void completeLocally(Connection c) {
    register(c);
    attachSession(c);
  }
}
