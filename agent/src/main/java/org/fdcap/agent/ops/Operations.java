package org.fdcap.agent.ops;

import java.lang.instrument.Instrumentation;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.fdcap.agent.AgentConfig;
import org.fdcap.core.FdTracker;
import org.fdcap.core.TrackerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent shows of itself once it runs: the {@code org.fdcap:type=Tracker} MBean
 * (registered when the platform MBean server is created: {@link MBeanRegistration}), the periodic
 * stats line ({@code fdcap.stats.interval}), the exit line ({@code fdcap.stats=exit}) and the leak
 * report at exit ({@code fdcap.leaks=true}).
 *
 * <p>Every number shown counts from the end of the agent's start-up: what the agent's own
 * warm-up and self-test did with files is not the program's.
 */
public final class Operations {
    /** The MBean's name. */
    public static final String MBEAN_NAME = "org.fdcap:type=Tracker";
    private static final Logger STATS = LoggerFactory.getLogger("fdcap.stats");

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
    public static void start(Instrumentation inst, AgentConfig config, FdTracker tracker, TrackerStats startUp,
            LeakLog leaks, Supplier<List<LeakLog.OpenFile>> stillOpen) {
        Supplier<TrackerStats> stats = () -> tracker.stats().since(startUp);
        if (config.jmx()) {
            MBeanRegistration.start(inst, new TrackerBean(tracker, stats));
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
