/**
 * Sessions that outlive connections: identity, resume token, the event sequence (G6) and the {@code
 * EventLog} seam with its local implementation. Depends on no other component.
 */
package io.agentwire.session;
