/** May a connection, or this instance, take traffic: strictness, three-valued verdicts, health. */
package io.agentwire.readiness;
