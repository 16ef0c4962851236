package io.agentwire.connection.entity;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * What is known about a connection when its readiness is asked: transport and application state are
 * kept apart, and either may be absent during set-up.
 *
 * @param transportOpen whether the WebSocket itself is open
 * @param state the application state machine's state, absent if not created yet
 * @param connectionId absent until registration assigned it
 * @param finished the set-up steps that finished
 * @param failed a step that failed, if any
 * @param sinceOpen time since the socket opened
 */
public record Observation(
    boolean transportOpen,
    Optional<ConnectionState> state,
    Optional<String> connectionId,
    Set<SetupStep> finished,
    Optional<SetupStep> failed,
    Duration sinceOpen) {}
