/**
 * The agent's entry point alone ({@link org.fdcap.agent.Premain}): the one class the JVM loads
 * from the root of {@code fdcap-agent.jar}. Everything else runs in the agent's own class loader
 * ({@code startup} and below) or on the bootstrap class path ({@code bootstrap}).
 */
package org.fdcap.agent;
