package io.agentwire.diagnostics.boundary;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The HTTP API under {@code /api}: diagnostics, drain and the development token. */
@ApplicationPath("api")
public class Api extends Application {}
