/**
 * The command line ({@code java -jar fdcap-agent.jar attach|status|...}): runs in its own JVM, never
 * in the target. It talks to a target through the attach API and JMX only.
 */
package org.fdcap.agent.cli;
