/**
 * Access to the JDK's internals and to the operating system from inside the agent: the opened
 * private members of {@code FileDescriptor} and the channel classes
 * ({@link org.fdcap.agent.jdk.JdkAccess}), the JDK's own file-system natives as the tracker's
 * system calls ({@link org.fdcap.agent.jdk.JdkCalls}), the agent's own questions about a
 * descriptor through whichever system calls the tracker uses ({@link org.fdcap.agent.jdk.NativeCalls}),
 * and native access for the bundled jffi on JDK 22 and later. Nothing here knows about managed files.
 */
package org.fdcap.agent.jdk;
