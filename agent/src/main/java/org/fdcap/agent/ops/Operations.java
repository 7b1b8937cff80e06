package org.fdcap.agent.ops;

import java.lang.instrument.Instrumentation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.fdcap.agent.config.AgentConfig;
import org.fdcap.agent.logging.AgentLogConfigurator;
import org.fdcap.agent.logging.LogSettings;
import org.fdcap.core.FdTracker;
import org.fdcap.core.TrackerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent shows of itself once it runs: the {@code org.fdcap:type=Tracker} MBean
 * (registered when the platform MBean server is created: {@link MBeanRegistration}), the periodic
 * stats line ({@code fdcap.stats.interval}), the exit line ({@code fdcap.stats=exit}), the leak
 * report at exit ({@code fdcap.leaks=true}), and the agent properties that tell the
 * {@code status} command that fdcap runs in this JVM.
 *
 * <p>Every number shown counts from the end of the agent's start-up: what the agent's own
 * warm-up and self-test did with files is not the program's.
 */
public final class Operations {
    /** The MBean's name. */
    public static final String MBEAN_NAME = "org.fdcap:type=Tracker";
    /**
     * The agent property (JDK attach API: {@code VirtualMachine.getAgentProperties()}, not a
     * system property) holding the version of the fdcap agent running in this JVM.
     */
    public static final String VERSION_PROPERTY = "fdcap.version";
    /** The agent property saying whether the MBean is registered ({@code fdcap.jmx}): true or false. */
    public static final String JMX_PROPERTY = "fdcap.jmx";
    private static final Logger STATS = LoggerFactory.getLogger("fdcap.stats");

    private Operations() {
    }

    /**
     * Starts what {@code config} asks for.
     *
     * @param version the agent's version, published for the {@code status} command
     * @param startUp the tracker's numbers when the agent's start-up ended: the counters shown
     *     count from there
     * @param leaks the leak log when {@code fdcap.leaks=true}, else null
     * @param stillOpen the managed files still open, for the leak report at exit
     */
    public static void start(Instrumentation inst, AgentConfig config, String version, FdTracker tracker,
            TrackerStats startUp, LeakLog leaks, Supplier<List<LeakLog.OpenFile>> stillOpen) {
        Supplier<TrackerStats> stats = new Supplier<TrackerStats>() { // not a lambda: made at start
            @Override
            public TrackerStats get() {
                return tracker.stats().since(startUp);
            }
        };
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
        // With fdcap.log.file, the exit line goes there with the rest of the agent's log; else on
        // stderr, alone on its line (also when the log file could not be written).
        boolean exitLineToLog = config.statsAtExit() && LogSettings.toFile();
        if (exitLineToLog) {
            alwaysLogged(STATS);
        }
        if (config.statsAtExit() || leaks != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (config.statsAtExit()) {
                    Throwable last = tracker.lastError();
                    String line = stats.get() + (last == null ? "" : " lastError=" + last);
                    if (exitLineToLog) {
                        STATS.info("{}", line);
                    } else {
                        System.err.println("fdcap: " + line);
                    }
                }
                if (leaks != null) {
                    leaks.report(stillOpen.get());
                }
            }, "fdcap-exit"));
        }
        publish(inst, version, config.jmx());
    }

    /**
     * Tells the attach API's clients that fdcap runs here ({@link #VERSION_PROPERTY},
     * {@link #JMX_PROPERTY}), in the JVM's agent properties, where the JDK's management agent
     * publishes its connector address: the program's system properties stay as they were.
     */
    private static void publish(Instrumentation inst, String version, boolean jmx) {
        try {
            inst.redefineModule(Object.class.getModule(), Set.of(), Map.of("jdk.internal.vm",
                    Set.of(Operations.class.getModule())), Map.of(), Set.of(), Map.of());
            Properties agent = (Properties) Class.forName("jdk.internal.vm.VMSupport")
                    .getMethod("getAgentProperties").invoke(null);
            agent.setProperty(JMX_PROPERTY, Boolean.toString(jmx));
            agent.setProperty(VERSION_PROPERTY, version);
        } catch (Throwable t) {
            LoggerFactory.getLogger(Operations.class).debug("the status command will not see this JVM's fdcap: {}",
                    t.toString());
        }
    }

    /** Lets INFO through on {@code logger} even when {@code fdcap.log.level} is higher: the user asked for it. */
    static void alwaysLogged(Logger logger) {
        AgentLogConfigurator.alwaysLogged(logger);
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }
}
