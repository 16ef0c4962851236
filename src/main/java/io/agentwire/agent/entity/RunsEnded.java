package io.agentwire.agent.entity;

import java.io.Serializable;

/** Announced when a session's last run in flight ended, so its connection can become idle. */
public record RunsEnded(String sessionId) implements Serializable {}
