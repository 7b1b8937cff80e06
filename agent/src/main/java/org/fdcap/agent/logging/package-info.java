/**
 * The agent's own logging: a Logback and SLF4J of the agent's class loader, configured from
 * the agent's settings, isolated from any logging the host program has.
 */
package org.fdcap.agent.logging;
