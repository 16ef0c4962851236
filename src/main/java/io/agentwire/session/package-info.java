/** Sessions that outlive connections: identity, resume token and the event sequence (G6). */
package io.agentwire.session;
