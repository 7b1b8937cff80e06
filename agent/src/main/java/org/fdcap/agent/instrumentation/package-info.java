/**
 * What is instrumented and how: the Byte Buddy advice inlined into the JDK's file classes, the
 * list of those classes ({@link org.fdcap.agent.instrumentation.JdkTypes}), and the rewriting of
 * program call sites of {@code RandomAccessFile}'s natives. Advice code runs inside JDK methods
 * and reaches the agent only through the bridge.
 */
package org.fdcap.agent.instrumentation;
