/**
 * agentwire: a WebSocket service that authenticates clients with a JWT, holds them until their
 * connection is truly ready, and streams server-side agent runs to them.
 *
 * <p>Components, each owning one noun of PROTOCOL.md: {@code connection} (one WebSocket
 * conversation from open to closed: endpoint, state machine, hold, outbound queue), {@code
 * readiness} (may a connection or this instance take traffic: strictness, verdicts, health), {@code
 * session} (sessions and their event sequence), {@code agent} (the agent SPI, the runner, built-in
 * agents), {@code security} (token verification, development tokens) and {@code diagnostics}
 * (metrics, race-pattern telemetry, the diagnostics resource).
 */
package io.agentwire;
