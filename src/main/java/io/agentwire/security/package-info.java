/**
 * Token verification against the standard mp.jwt.verify keys (with its readiness check and the
 * start-up guard against the development key), development tokens, origin policy, the admin filter.
 * Depends on readiness only.
 */
package io.agentwire.security;
