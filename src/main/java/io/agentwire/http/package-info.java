/**
 * HTTP answers that are not the WebSocket: every error over HTTP is the short JSON body of PROTOCOL
 * section 2, {@code {"error":"<code>","message":"..."}}, never the container's HTML page; a 5xx is
 * a defect, logged once with an incident id that the answer names.
 */
package io.agentwire.http;
