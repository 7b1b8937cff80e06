/**
 * The bridge between the instrumented JDK code and the agent. These classes are appended to the
 * bootstrap class path (the JDK's classes can only see classes there) and depend on nothing but
 * {@code java.base}: {@link org.fdcap.agent.bootstrap.FdBridge} holds the installed hooks, and
 * {@link org.fdcap.agent.bootstrap.AgentClassLoader} loads everything else from the agent jar.
 */
package org.fdcap.agent.bootstrap;
