/** Token verification against the standard mp.jwt.verify keys, and development tokens. */
package io.agentwire.security;
