package org.fdcap.it.thirdparty;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Logback, unmodified, configured in code as a multi-tenant service might: a logger per tenant,
 * each with its own {@code FileAppender} (a {@code FileOutputStream} kept open from start to
 * stop), thousands of them, logging round robin. Half the appenders append to a file that exists;
 * every tenth is prudent (it locks the file through the stream's channel, and moves the channel to
 * the end, around each event). Logback does not throw when an appender cannot open its file: it
 * records an error in its status and drops that appender's events, so the driver prints how many
 * errors Logback recorded, then every file's size and CRC.
 *
 * <p>Usage: {@code LogbackFileAppenders dir appenders rounds}
 */
public final class LogbackFileAppenders {
    private LogbackFileAppenders() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int appenders = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        for (int i = 0; i < appenders; i += 2) {
            Files.write(dir.resolve("tenant-" + i + ".log"),
                    ("earlier log of tenant " + i + "\n").getBytes(StandardCharsets.UTF_8));
        }
        LoggerContext context = new LoggerContext();
        context.setName("tenants");
        // what SLF4J's binding would do; a context made in code has no MDC until given one
        context.setMDCAdapter(new LogbackMDCAdapter());
        // Logback keeps only its first and last 150 statuses: count the errors as they come
        List<Status> errors = new ArrayList<>();
        context.getStatusManager().add((StatusListener) status -> {
            if (status.getLevel() >= Status.ERROR) {
                errors.add(status);
            }
        });
        context.start();
        List<Logger> loggers = new ArrayList<>();
        int started = 0;
        for (int i = 0; i < appenders; i++) {
            Path file = dir.resolve("tenant-" + i + ".log");
            boolean append = i % 2 == 0;
            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(context);
            encoder.setPattern("%-5level %logger{0} [%thread] %msg%n");
            encoder.start();
            FileAppender<ILoggingEvent> appender = new FileAppender<>();
            appender.setContext(context);
            appender.setName("tenant-" + i);
            appender.setFile(file.toString());
            appender.setAppend(append);
            appender.setPrudent(i % 10 == 5);
            appender.setEncoder(encoder);
            appender.start();
            started += appender.isStarted() ? 1 : 0;
            Logger logger = context.getLogger("tenant." + i);
            logger.setAdditive(false);
            logger.setLevel(Level.DEBUG);
            logger.addAppender(appender);
            loggers.add(logger);
        }
        System.err.println("logback file appenders started: " + appenders);
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < appenders; i++) {
                Logger logger = loggers.get(i);
                if ((round + i) % 17 == 0) {
                    logger.warn("round {} of tenant {}: failed", round, i,
                            new IllegalStateException("tenant " + i + " round " + round));
                } else if (round % 3 == 0) {
                    logger.debug("round {} of tenant {}: {}", round, i, "x".repeat((round * 7 + i) % 100));
                } else {
                    logger.info("round {} of tenant {} \u00e9\u2713", round, i);
                }
            }
        }
        context.stop(); // closes every appender's stream
        System.out.println("appenders started: " + started + " of " + appenders + ", logback errors: " + errors.size());
        if (!errors.isEmpty()) {
            System.err.println("first logback error: " + errors.get(0));
        }
        CRC32 all = new CRC32();
        for (int i = 0; i < appenders; i++) {
            Path file = dir.resolve("tenant-" + i + ".log");
            byte[] b = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            CRC32 crc = new CRC32();
            crc.update(b);
            all.update(b);
            System.out.println("tenant-" + i + ".log " + b.length + " bytes, crc " + crc.getValue());
        }
        System.out.println("every file: crc " + all.getValue());
    }
}
