package org.fdcap.agent.instrumentation;

import net.bytebuddy.dynamic.Nexus;
import net.bytebuddy.dynamic.NexusAccessor;

/**
 * Keeps the agent's Byte Buddy from injecting its {@code Nexus} class into the system class
 * loader, which it would do through {@code sun.misc.Unsafe}: JDK 24 and later then print
 * "WARNING: A terminally deprecated method in sun.misc.Unsafe has been called ... by
 * net.bytebuddy.dynamic.loading.ClassInjector$UsingUnsafe" on the host's stderr (JEP 498).
 *
 * <p>Every {@code new AgentBuilder.Default(...)} creates a {@code NexusAccessor}, whether or not
 * the builder will use it (the agent's never do: they are built with
 * {@code InitializationStrategy.NoOp}), and the first one decides, once for the life of the
 * class, whether Byte Buddy injects the Nexus: unless the system property
 * {@code net.bytebuddy.nexus.disabled} is {@code true} at that moment. The agent builds its
 * builders late and not always (at most starts the JDK types come from the cache and Byte Buddy
 * is not used at all; the call-site rewriter builds its Byte Buddy path when a class first needs
 * it, long after the start), so a property set only around the start missed them. Instead the
 * property is set here for the time {@code NexusAccessor} takes to initialize, early in the
 * start, and put back at once: the host's own Byte Buddy (a class of another loader, with a
 * decision of its own) is not affected, unless it initializes in that instant during an attach.
 */
public final class ByteBuddyNexus {
    private ByteBuddyNexus() {
    }

    /**
     * Initializes the agent's {@code NexusAccessor} with the Nexus disabled, for good, and leaves
     * the system property as it was. Call before anything builds an {@code AgentBuilder} (after,
     * it is too late: the Nexus is already injected). Costs four small classes: no code
     * generation, no {@code sun.misc.Unsafe}.
     */
    public static void disable() {
        String before = System.getProperty(Nexus.PROPERTY);
        System.setProperty(Nexus.PROPERTY, "true");
        try {
            NexusAccessor.isAlive();
        } finally {
            if (before == null) {
                System.clearProperty(Nexus.PROPERTY);
            } else {
                System.setProperty(Nexus.PROPERTY, before);
            }
        }
    }
}
