package io.agentwire.connection.entity;

import io.agentwire.protocol.entity.ErrorCode;

/** What the decoder makes of one text frame: a message, or the {@code error} to answer with. */
public sealed interface Decoded {

  /** A well-formed message of a known type. */
  record Message(ClientMessage message) implements Decoded {}

  /**
   * A refusal to answer with an {@code error} message; the connection stays open.
   *
   * @param code {@code bad_request} or {@code unknown_type}
   * @param message human-readable, never echoes more than a short excerpt of the input
   * @param ref the {@code type} it concerns, when there is one, else null
   */
  record Refused(ErrorCode code, String message, String ref) implements Decoded {}
}
