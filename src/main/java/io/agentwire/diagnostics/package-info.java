/**
 * Metrics and race-pattern logging, fed by the lifecycle records other components announce, and the
 * admin diagnostics resource. Nothing depends on it.
 */
package io.agentwire.diagnostics;
