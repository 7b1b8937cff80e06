package org.fdcap.agent.logging;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J provider of the agent's class loader, the only one there (Logback's own registration
 * is left out of the agent jar). Its loggers answer {@code isXxxEnabled} from
 * {@code fdcap.log.level} alone; Logback is configured on the first event that is really logged
 * ({@link AgentLogConfigurator#logback()}). A start with nothing to log never loads Logback,
 * which would cost a large part of the agent's start-up.
 */
public final class AgentLoggerProvider implements SLF4JServiceProvider {
    private final ILoggerFactory loggers = new Loggers();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
    }

    private static final class Loggers implements ILoggerFactory {
        @Override
        public Logger getLogger(String name) {
            return new AgentLogger(name);
        }
    }
}
