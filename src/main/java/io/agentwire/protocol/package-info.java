/**
 * The server's wire vocabulary (PROTOCOL.md section 4): the messages it sends, the run events and
 * error codes they name, the one way to cut text to a frame's byte limit, and the encoder that
 * turns a message into a text frame. It is its own component because two others speak it and
 * neither may import the other's internals: {@code agent} produces run events, {@code connection}
 * sends every message. It depends on nothing of agentwire, only on {@code jakarta.json}.
 */
package io.agentwire.protocol;
