/**
 * What runs in the target for the people who operate it: the statistics line, the
 * {@code org.fdcap:type=Tracker} MBean and its registration, JFR events, the log of leaked (never
 * closed) files, the agent's version.
 */
package org.fdcap.agent.ops;
