/**
 * The state of the descriptors the agent manages: {@link org.fdcap.agent.managed.ManagedFiles}
 * (what the instrumented JDK code calls through the bridge) decides which opens are managed and
 * adopts them into the core tracker; {@link org.fdcap.agent.managed.ManagedFd} is one JDK
 * {@code FileDescriptor} bound to a tracker handle; {@link org.fdcap.agent.managed.ManagedTable}
 * finds it again on the hot path. Files already open when the agent attaches are adopted by
 * {@link org.fdcap.agent.managed.PreexistingFiles}.
 */
package org.fdcap.agent.managed;
