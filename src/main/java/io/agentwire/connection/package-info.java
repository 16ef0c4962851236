/**
 * One WebSocket conversation from open to closed: the endpoint and handshake, the registry, every
 * set-up step, the per-connection readiness verdict and hold, the close policy, the send path and
 * the one sweeper for all timers. Announces its lifecycle as {@code ConnectionLifecycle} records;
 * depends on agent, session, security and readiness, never the other way round.
 */
package io.agentwire.connection;
