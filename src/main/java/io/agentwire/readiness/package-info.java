/**
 * This instance's own readiness, apart from any connection's: its lifecycle (started, draining,
 * refusals), strictness, the executor watches, and the liveness, readiness and startup checks.
 * Depends on no other component.
 */
package io.agentwire.readiness;
