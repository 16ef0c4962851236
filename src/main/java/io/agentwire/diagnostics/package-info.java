/** Metrics, race-pattern telemetry and the admin diagnostics resource. */
package io.agentwire.diagnostics;
