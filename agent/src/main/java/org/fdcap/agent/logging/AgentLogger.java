package org.fdcap.agent.logging;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;

/** A logger of the agent: levels from the settings, events handed to Logback (configured on first use). */
final class AgentLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    /** INFO and above logged whatever the level ({@link AgentLogConfigurator#alwaysLogged}). */
    volatile boolean always;

    AgentLogger(String name) {
        this.name = name;
    }

    @Override
    public boolean isTraceEnabled() {
        return LogSettings.enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return LogSettings.enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return always || LogSettings.enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return always || LogSettings.enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return always || LogSettings.enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return AgentLogger.class.getName();
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
            Throwable throwable) {
        AgentLogConfigurator.logback().getLogger(name)
                .log(marker, getFullyQualifiedCallerName(), level.toInt(), pattern, arguments, throwable);
    }
}
