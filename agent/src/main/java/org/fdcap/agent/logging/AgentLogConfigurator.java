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
import java.nio.file.Path;

/**
 * Configures the agent's private Logback (in the agent's class loader) from {@code fdcap.log.*}
 * ({@link LogSettings}, which the loggers read without loading this class or Logback).
 * The agent's SLF4J provider ({@link AgentLoggerProvider}) creates the Logback context itself, on
 * the first event logged ({@link #logback()}), and configures it with this class alone: the
 * host's {@code logback.xml} or {@code -Dlogback.configurationFile} never reach the agent. (It is
 * also registered as Logback's top-priority configurator, should Logback ever start on its own.)
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class AgentLogConfigurator extends ContextAwareBase implements Configurator {
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
        Path f = LogSettings.file();
        if (f != null && !LogSettings.canAppend(f)) {
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
        root.setLevel(Level.toLevel(LogSettings.level(), Level.WARN));
        root.addAppender(appender);
        for (String name : ALWAYS) {
            context.getLogger(name).setLevel(Level.INFO);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
