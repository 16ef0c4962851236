package io.agentwire.agent.entity;

import java.io.Serializable;
import java.time.Duration;

/**
 * Announced when a run ended: its outcome ({@code completed}, {@code failed}, {@code cancelled}).
 */
public record RunEnded(String outcome, Duration took) implements Serializable {}
