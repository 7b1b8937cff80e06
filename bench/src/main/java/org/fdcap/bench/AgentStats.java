package org.fdcap.bench;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * The counters of the agent's tracker, when this JVM runs with {@code -javaagent:fdcap-agent.jar}:
 * read by reflection through the bootstrap bridge (the tracker lives in the agent's own class
 * loader, invisible to the application). A benchmark-only shortcut until the agent publishes its
 * counters (JMX).
 */
final class AgentStats {
    private AgentStats() {
    }

    /** The tracker's {@code stats()} record, or {@code null} without the agent. */
    static Object stats() {
        try {
            Class<?> bridge = Class.forName("org.fdcap.agent.bootstrap.FdBridge", false, null);
            Field hooks = bridge.getDeclaredField("hooks");
            hooks.setAccessible(true);
            Object files = hooks.get(null);
            if (files == null) {
                return null;
            }
            Method tracker = files.getClass().getDeclaredMethod("tracker");
            tracker.setAccessible(true);
            Object t = tracker.invoke(files);
            return t.getClass().getMethod("stats").invoke(t);
        } catch (ClassNotFoundException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the agent's stats", e);
        }
    }

    /** One counter of {@link #stats()} ({@code restores}, {@code capacity}, ...); -1 without the agent. */
    static long get(Object stats, String counter) {
        if (stats == null) {
            return -1;
        }
        try {
            return ((Number) stats.getClass().getMethod(counter).invoke(stats)).longValue();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no counter " + counter, e);
        }
    }
}
