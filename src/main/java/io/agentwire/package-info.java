/**
 * agentwire: a WebSocket service that authenticates clients with a JWT, holds them until their
 * connection is truly ready, and streams server-side agent runs to them.
 *
 * <p>Components, each owning one noun of PROTOCOL.md, in the order they may depend on each other:
 * {@code diagnostics} (metrics, race-pattern telemetry, the diagnostics resource) on {@code
 * connection} (one WebSocket conversation from open to closed) on {@code agent} (the agent SPI, the
 * runner, built-in agents) and {@code security} (token verification, development tokens, origin
 * policy) on {@code session} (sessions, their event sequence and log) and {@code readiness} (this
 * instance's lifecycle, strictness, health). No cycle: see the README's Layout.
 */
package io.agentwire;
