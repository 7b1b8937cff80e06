/**
 * The transform cache: the instrumented JDK class files of an earlier start, reused when they
 * match this JVM's classes, so that a later start skips Byte Buddy's weaving.
 */
package org.fdcap.agent.cache;
