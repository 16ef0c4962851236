package io.agentwire.session.entity;

import java.io.Serializable;

/** Announced when a session ends, so that what belongs to it (its runs) is released. */
public record SessionEnded(String sessionId) implements Serializable {}
