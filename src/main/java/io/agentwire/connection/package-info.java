/** One WebSocket conversation from open to closed: endpoint, state machine, hold, outbound. */
package io.agentwire.connection;
