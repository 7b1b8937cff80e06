/**
 * Start-up inside the agent's class loader: {@link org.fdcap.agent.startup.Installer} reads the
 * settings, opens the JDK internals, chooses the system calls, instruments the JDK, builds the
 * tracker and hands it to the bridge, then starts the operations side. Nothing here runs after
 * start-up except the reaper thread it starts.
 */
package org.fdcap.agent.startup;
