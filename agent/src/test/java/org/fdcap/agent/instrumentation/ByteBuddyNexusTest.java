package org.fdcap.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URL;
import java.net.URLClassLoader;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.Nexus;
import org.junit.jupiter.api.Test;

/**
 * Byte Buddy decides once per loaded copy whether it injects its Nexus (through sun.misc.Unsafe):
 * each test loads a fresh copy, as the agent's own loader does, so that what other tests of this
 * JVM did with theirs does not matter.
 */
class ByteBuddyNexusTest {
    @Test
    void anAgentBuilderBuiltAfterDisableFindsTheNexusOffAndThePropertyIsAsItWas() throws Exception {
        assertNull(System.getProperty(Nexus.PROPERTY));
        try (URLClassLoader copy = freshCopy()) {
            copy.loadClass(ByteBuddyNexus.class.getName()).getMethod("disable").invoke(null);

            assertNull(System.getProperty(Nexus.PROPERTY), "the property is put back");
            // Built afterwards, as CallSiteSubstitution builds its Byte Buddy path long after the start.
            copy.loadClass("net.bytebuddy.agent.builder.AgentBuilder$Default").getConstructor().newInstance();
            assertFalse(alive(copy), "the Nexus was injected");
        }
    }

    @Test
    void theNexusStaysOffWhenTheHostHasSetThePropertyToFalse() throws Exception {
        System.setProperty(Nexus.PROPERTY, "false");
        try (URLClassLoader copy = freshCopy()) {
            copy.loadClass(ByteBuddyNexus.class.getName()).getMethod("disable").invoke(null);

            assertEquals("false", System.getProperty(Nexus.PROPERTY));
            assertFalse(alive(copy));
        } finally {
            System.clearProperty(Nexus.PROPERTY);
        }
    }

    private static boolean alive(ClassLoader copy) throws Exception {
        return (Boolean) copy.loadClass("net.bytebuddy.dynamic.NexusAccessor").getMethod("isAlive").invoke(null);
    }

    /** Byte Buddy and this module's classes, seen by nothing else: the agent's situation. */
    private static URLClassLoader freshCopy() {
        URL byteBuddy = ByteBuddy.class.getProtectionDomain().getCodeSource().getLocation();
        URL agent = ByteBuddyNexus.class.getProtectionDomain().getCodeSource().getLocation();
        return new URLClassLoader(new URL[] {agent, byteBuddy}, ClassLoader.getPlatformClassLoader());
    }
}
