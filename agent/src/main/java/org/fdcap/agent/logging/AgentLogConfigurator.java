package org.fdcap.agent.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Configures the agent's private Logback (in the agent's class loader) from {@code fdcap.log.*}.
 * The agent's SLF4J provider ({@link AgentLoggerProvider}) creates the Logback context itself, on
 * the first event logged ({@link #logback()}), and configures it with this class alone: the
 * host's {@code logback.xml} or {@code -Dlogback.configurationFile} never reach the agent. (It is
 * also registered as Logback's top-priority configurator, should Logback ever start on its own.)
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class AgentLogConfigurator extends ContextAwareBase implements Configurator {
    private static volatile String level = "warn";
    private static volatile Path file;
    /** The least severe level logged, as {@link org.slf4j.event.Level#toInt()}; above ERROR: none. */
    private static volatile int threshold = org.slf4j.event.Level.WARN.toInt();
    private static LoggerContext context;
    /** Loggers whose INFO and above are logged whatever {@code fdcap.log.level} says. */
    private static final java.util.Set<String> ALWAYS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Logs {@code logger}'s INFO events and above whatever {@code fdcap.log.level} says (for what
     * a setting asked for explicitly: the stats line, the leak report).
     */
    public static void alwaysLogged(org.slf4j.Logger logger) {
        ALWAYS.add(logger.getName());
        if (logger instanceof AgentLogger) {
            ((AgentLogger) logger).always = true;
        }
        synchronized (AgentLogConfigurator.class) {
            if (context != null) {
                context.getLogger(logger.getName()).setLevel(Level.INFO);
            }
        }
    }

    /**
     * Sets what {@link #configure} will use; call before the first logger is created. A log file
     * that cannot be written is reported now, in one line, though Logback starts only on the
     * first event.
     */
    public static void settings(String logLevel, Path logFile) {
        level = logLevel;
        file = logFile != null && canAppend(logFile) ? logFile : null;
        Level l = Level.toLevel(logLevel, Level.WARN);
        threshold = l.toInt() == Level.OFF_INT ? Integer.MAX_VALUE
                : l.toInt() <= Level.TRACE_INT ? org.slf4j.event.Level.TRACE.toInt()
                : l.toInt() / 1000; // Logback's DEBUG..ERROR are SLF4J's times 1000
    }

    /**
     * Whether the agent logs to {@code fdcap.log.file}: set, and writable when {@link #settings}
     * checked it (else the log goes to stderr).
     */
    public static boolean toFile() {
        return file != null;
    }

    /** Whether events at {@code l} are logged. */
    static boolean enabled(org.slf4j.event.Level l) {
        return l.toInt() >= threshold;
    }

    /** The agent's Logback context, created and configured on first use. */
    static synchronized LoggerContext logback() {
        if (context == null) {
            LoggerContext c = new LoggerContext();
            c.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
            AgentLogConfigurator configurator = new AgentLogConfigurator();
            configurator.setContext(c);
            configurator.configure(c);
            c.start();
            context = c;
        }
        return context;
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        context.setName("fdcap");
        // With a status listener present, Logback never dumps its status list on System.out
        // (the host program's output) when something goes wrong in its configuration.
        context.getStatusManager().add(new NopStatusListener());
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} fdcap %-5level [%thread] %logger{0}: %msg%n");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender;
        Path f = file;
        if (f != null && !canAppend(f)) {
            f = null;
        }
        if (f != null) {
            FileAppender<ILoggingEvent> fa = new FileAppender<>();
            fa.setFile(f.toString());
            fa.setAppend(true);
            appender = fa;
        } else {
            ConsoleAppender<ILoggingEvent> ca = new ConsoleAppender<>();
            ca.setTarget("System.err");
            appender = ca;
        }
        appender.setContext(context);
        appender.setName("fdcap");
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(Level.toLevel(level, Level.WARN));
        root.addAppender(appender);
        for (String name : ALWAYS) {
            context.getLogger(name).setLevel(Level.INFO);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Whether the log file can be opened for appending now (the start-up check of the setting
     * cannot see everything: /proc, a full or read-only filesystem). If not: one line on stderr,
     * and the agent logs to stderr instead.
     */
    private static boolean canAppend(Path f) {
        try (FileOutputStream out = new FileOutputStream(f.toFile(), true)) {
            return true;
        } catch (IOException | RuntimeException e) {
            System.err.println("fdcap: cannot write the log file fdcap.log.file=" + f + " (" + e.getMessage()
                    + "); logging to stderr instead");
            return false;
        }
    }
}
