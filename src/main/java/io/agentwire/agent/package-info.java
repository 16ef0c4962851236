/** The agent SPI, the runner that executes runs off the socket thread, and built-in agents. */
package io.agentwire.agent;
