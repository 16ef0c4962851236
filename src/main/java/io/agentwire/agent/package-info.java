/**
 * The agent SPI, the runner that executes runs off the socket thread, and built-in agents. Sees a
 * connection only as a {@code Peer} for the request at hand; depends on session and readiness.
 */
package io.agentwire.agent;
