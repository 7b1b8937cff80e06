package org.fdcap.agent.ops;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.fdcap.agent.AgentConfig;
import org.fdcap.core.FdTracker;
import org.fdcap.core.TrackerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent shows of itself once it runs: the {@code org.fdcap:type=Tracker} MBean, the
 * periodic stats line ({@code fdcap.stats.interval}), the exit line ({@code fdcap.stats=exit}) and
 * the leak report at exit ({@code fdcap.leaks=true}).
 *
 * <p>Every number shown counts from the end of the agent's start-up: what the agent's own
 * warm-up and self-test did with files is not the program's.
 *
 * <p>The MBean is registered lazily: creating the platform MBean server costs CPU_COST of CPU
 * (measured: see docs/operations.md), which a program that never uses JMX should not pay, and
 * which must not lengthen its start-up. A daemon thread ({@code fdcap-jmx}) looks every
 * {@value #JMX_POLL_MILLIS} ms whether an MBean server exists (a cheap list lookup that creates
 * nothing); once one does (the program, jconsole, {@code jcmd ManagementAgent.start_local} or
 * the {@code status} command started JMX), it registers the MBean and ends.
 */
public final class Operations {
    /** The MBean's name. */
    public static final String MBEAN_NAME = "org.fdcap:type=Tracker";
    private static final Logger STATS = LoggerFactory.getLogger("fdcap.stats");
    /** How often the fdcap-jmx thread looks for an MBean server. */
    static final long JMX_POLL_MILLIS = 200;

    private Operations() {
    }

    /**
     * Starts what {@code config} asks for.
     *
     * @param startUp the tracker's numbers when the agent's start-up ended: the counters shown
     *     count from there
     * @param leaks the leak log when {@code fdcap.leaks=true}, else null
     * @param stillOpen the managed files still open, for the leak report at exit
     */
    public static void start(AgentConfig config, FdTracker tracker, TrackerStats startUp, LeakLog leaks,
            Supplier<List<LeakLog.OpenFile>> stillOpen) {
        Supplier<TrackerStats> stats = () -> tracker.stats().since(startUp);
        if (config.jmx()) {
            daemon("fdcap-jmx", () -> {
                try {
                    while (MBeanServerFactory.findMBeanServer(null).isEmpty()) {
                        Thread.sleep(JMX_POLL_MILLIS);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                register(tracker, stats);
            }).start();
        }
        Duration interval = config.statsInterval();
        if (interval != null) {
            alwaysLogged(STATS);
            daemon("fdcap-stats", () -> {
                while (true) {
                    try {
                        Thread.sleep(interval.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    STATS.info("{}", stats.get());
                }
            }).start();
        }
        if (config.statsAtExit() || leaks != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (config.statsAtExit()) {
                    Throwable last = tracker.lastError();
                    System.err.println("fdcap: " + stats.get() + (last == null ? "" : " lastError=" + last));
                }
                if (leaks != null) {
                    leaks.report(stillOpen.get());
                }
            }, "fdcap-exit"));
        }
    }

    /** Registers the MBean (once; a second agent start in the same JVM is refused earlier). */
    static void register(FdTracker tracker, Supplier<TrackerStats> stats) {
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(new TrackerBean(tracker, stats),
                    new ObjectName(MBEAN_NAME));
        } catch (Throwable t) {
            LoggerFactory.getLogger(Operations.class).warn("could not register the MBean {}: {}", MBEAN_NAME,
                    t.toString());
        }
    }

    /** Lets INFO through on {@code logger} even when {@code fdcap.log.level} is higher: the user asked for it. */
    static void alwaysLogged(Logger logger) {
        org.fdcap.agent.logging.AgentLogConfigurator.alwaysLogged(logger);
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }
}
