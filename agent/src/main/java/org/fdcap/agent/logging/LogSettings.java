package org.fdcap.agent.logging;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.event.Level;

/**
 * {@code fdcap.log.level} and {@code fdcap.log.file} as the agent's loggers read them, in a class
 * that refers to no Logback type: a start that logs nothing never loads Logback (referring to it
 * from here loaded 16 of its classes). Logback itself is configured from these on the first event
 * logged ({@link AgentLogConfigurator}).
 */
public final class LogSettings {
    private static volatile String level = "warn";
    private static volatile Path file;
    /** The least severe level logged, as {@link Level#toInt()}; above ERROR: none. */
    private static volatile int threshold = Level.WARN.toInt();

    private LogSettings() {
    }

    /**
     * Sets what the loggers and Logback's configuration will use; call before the first logger is
     * created. A log file that cannot be written is reported now, in one line, though Logback
     * starts only on the first event.
     *
     * @param logLevel one of {@code off, error, warn, info, debug, trace} (as {@code AgentConfig}
     *     accepts them); anything else counts as {@code warn}
     */
    public static void settings(String logLevel, Path logFile) {
        level = logLevel;
        file = logFile != null && canAppend(logFile) ? logFile : null;
        threshold = threshold(logLevel);
    }

    static int threshold(String logLevel) {
        switch (logLevel == null ? "" : logLevel) {
            case "off":
                return Integer.MAX_VALUE;
            case "error":
                return Level.ERROR.toInt();
            case "info":
                return Level.INFO.toInt();
            case "debug":
                return Level.DEBUG.toInt();
            case "trace":
                return Level.TRACE.toInt();
            default:
                return Level.WARN.toInt();
        }
    }

    /**
     * Whether the agent logs to {@code fdcap.log.file}: set, and writable when {@link #settings}
     * checked it (else the log goes to stderr).
     */
    public static boolean toFile() {
        return file != null;
    }

    /** Whether events at {@code l} are logged. */
    static boolean enabled(Level l) {
        return l.toInt() >= threshold;
    }

    /** {@code fdcap.log.level} as given. */
    static String level() {
        return level;
    }

    /** {@code fdcap.log.file} when it could be written at start, else null (stderr). */
    static Path file() {
        return file;
    }

    /**
     * Whether the log file can be opened for appending now (the start-up check of the setting
     * cannot see everything: /proc, a full or read-only filesystem). If not: one line on stderr,
     * and the agent logs to stderr instead.
     */
    static boolean canAppend(Path f) {
        try (FileOutputStream out = new FileOutputStream(f.toFile(), true)) {
            return true;
        } catch (IOException | RuntimeException e) {
            System.err.println("fdcap: cannot write the log file fdcap.log.file=" + f + " (" + e.getMessage()
                    + "); logging to stderr instead");
            return false;
        }
    }
}
