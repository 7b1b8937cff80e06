/**
 * Settings: where they come from (agent argument, system properties, {@code FDCAP_*} environment
 * variables, a configuration file), what they mean and how they are checked
 * ({@link org.fdcap.agent.config.AgentConfig}), and the one error type a bad setting gives.
 * Read once at start; nothing here changes afterwards.
 */
package org.fdcap.agent.config;
