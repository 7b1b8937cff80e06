package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.fdcap.it.scenarios.JmxLookup;
import org.fdcap.it.scenarios.Leaky;
import org.fdcap.it.scenarios.OpsTarget;
import org.junit.jupiter.api.Test;

/** What the agent shows of itself: the MBean and status command, stats lines, JFR events, leaks. */
class OperationsIT {
    private static final Pattern STATS_LINE = Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} fdcap INFO +"
            + "\\[fdcap-stats\\] stats: capacity=\\d+ active=\\d+ .* suspensions=(\\d+) \\(ahead=\\d+\\) errors=0 overshoots=0$");

    @Test
    void theStatusCommandReadsTheMBeanAndAgreesWithTheExitLine() throws Exception {
        ChildJvm.Running child = ChildJvm.of(OpsTarget.class, "ops-status", "20", "300", "interactive", "keep")
                .limit(256).withAgent("max=100").start();
        child.awaitOutput("ready");
        child.send("go");
        child.awaitOutput("idle");
        ChildJvm.Result status = AgentCli.run("status", Long.toString(child.pid()));
        ChildJvm.Result files = AgentCli.run("status", Long.toString(child.pid()), "--files");
        child.send("exit");
        ChildJvm.Result r = child.finish();

        assertEquals(0, r.exit, r::toString);
        assertEquals(0, status.exit, status::toString);
        assertTrue(status.out.startsWith("fdcap in JVM " + child.pid() + ": capacity="), status::toString);
        Map<String, Long> mbean = AgentCli.numbers(status.out, "fdcap in JVM");
        Map<String, Long> atExit = AgentCli.numbers(r.err, "fdcap: capacity=");
        // One name per number: the status line (the MBean's attributes) and the exit line show the same.
        assertEquals(new java.util.TreeSet<>(atExit.keySet()), new java.util.TreeSet<>(mbean.keySet()),
                status.out + "\n" + r.err);
        assertEquals(atExit, mbean, status.out + "\n" + r.err);
        assertEquals(320, mbean.get("open") + mbean.get("suspended"), status::toString);
        assertTrue(mbean.get("suspended") > 0 && mbean.get("suspensions") > 0 && mbean.get("restores") > 0,
                status::toString);
        assertTrue(r.maxFds <= 100, r::toString);

        Path dir = ChildJvm.WORK.resolve("ops-status");
        assertEquals(0, files.exit, files::toString);
        assertTrue(files.out.contains("\n    " + dir.resolve("f0") + " ["), files::toString);
        assertTrue(files.out.contains("\n    " + dir.resolve("f1") + " [open, locked]"), files::toString);
        assertTrue(files.out.contains(" [suspended]"), files::toString);
    }

    @Test
    void statsIntervalLogsOneLinePeriodically() throws Exception {
        ChildJvm.Running child = ChildJvm.of(OpsTarget.class, "ops-interval", "0", "200", "interactive", "keep")
                .limit(256).withAgent("max=100,stats.interval=100ms").start();
        child.awaitOutput("ready");
        child.send("go");
        child.awaitOutput("idle");
        // Lines counted now may predate the end of the work; wait for two logged after it.
        int before = count(child.errSoFar());
        long start = System.nanoTime();
        int seen = 0;
        while (System.nanoTime() - start < Duration.ofSeconds(20).toNanos()) {
            seen = count(child.errSoFar());
            if (seen >= before + 2 && seen >= 3) {
                break;
            }
            Thread.sleep(50);
        }
        child.send("exit");
        ChildJvm.Result r = child.finish();

        assertEquals(0, r.exit, r::toString);
        assertTrue(seen >= before + 2 && seen >= 3, r::toString);
        Matcher m = STATS_LINE.matcher(r.err);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        assertEquals(r.suspensions(), last, r::toString);
    }

    @Test
    void jfrEventsRecordEverySuspendAndRestoreWhenARecordingEnablesThem() throws Exception {
        Path jfr = ChildJvm.WORK.resolve("ops-jfr.jfr");
        Files.deleteIfExists(jfr);
        Path settings = Path.of(OperationsIT.class.getResource("/jfr/fdcap.jfc").toURI());
        // JFR's own files (its repository in the child's temporary directory, a directory of its
        // own) are left unmanaged, so that every suspension and restore counted is one of the
        // program's files, wherever the work directory is.
        Path childTmp = Files.createDirectories(ChildJvm.WORK.resolve("ops-jfr-tmp"));
        ChildJvm.Result r = ChildJvm.of(OpsTarget.class, "ops-jfr", "50", "250", "batch", "close").limit(256)
                .withAgent("max=100,exclude=" + childTmp.toAbsolutePath() + "/**")
                .jvmArg("-Djava.io.tmpdir=" + childTmp.toAbsolutePath())
                .jvmArg("-XX:StartFlightRecording=filename=" + jfr + ",settings=" + settings + ",dumponexit=true")
                .run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.out.endsWith("done\n"), r::toString);
        String dir = ChildJvm.WORK.resolve("ops-jfr") + "/";
        List<RecordedEvent> suspends = new ArrayList<>();
        List<RecordedEvent> restores = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            if (type.startsWith("org.fdcap.")) {
                assertTrue(e.getString("path").startsWith(dir), e::toString);
                assertFalse(e.getDuration().isNegative(), e::toString);
                assertTrue(e.getInt("fd") > 2, e::toString);
            }
            if (type.equals("org.fdcap.Suspend")) {
                suspends.add(e);
            } else if (type.equals("org.fdcap.Restore")) {
                restores.add(e);
            }
        }
        assertEquals(0, r.errors(), r::toString);
        assertEquals(r.suspensions(), suspends.size(), r::toString);
        assertEquals(r.restores(), restores.size(), r::toString);
        // Files opened beyond the capacity are suspended either by the open that needs the room
        // or ahead of it by the background thread: which of the two, and in what share, depends
        // on how fast the program's thread runs against that one (on a loaded machine the
        // background thread can make every room). One of the two, and no other reason, is certain.
        assertTrue(Set.of("open", "restore", "ahead").containsAll(reasons(suspends))
                && (reasons(suspends).contains("open") || reasons(suspends).contains("ahead")),
                reasons(suspends)::toString);
        assertTrue(reasons(restores).contains("use") && reasons(restores).contains("close")
                && Set.of("use", "close").containsAll(reasons(restores)), reasons(restores)::toString);
        assertTrue(restores.stream().anyMatch(e -> !e.getDuration().isZero()), "every restore took no time");
    }

    @Test
    void noJfrEventIsRecordedUnlessARecordingEnablesIt() throws Exception {
        Path jfr = ChildJvm.WORK.resolve("ops-jfr-default.jfr");
        Files.deleteIfExists(jfr);
        ChildJvm.Result r = ChildJvm.of(OpsTarget.class, "ops-jfr-default", "50", "150", "batch", "close")
                .limit(256).withAgent("max=100")
                .jvmArg("-XX:StartFlightRecording=filename=" + jfr + ",dumponexit=true").run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
        long fdcapEvents = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().startsWith("org.fdcap.")).count();
        assertEquals(0, fdcapEvents);
    }

    @Test
    void theLeakReportListsFilesNeverClosedWithTheirOpeningStacks() throws Exception {
        ChildJvm.Result r = ChildJvm.of(Leaky.class, "leaky").limit(256).withAgent("max=100,leaks=true").run();

        assertEquals(0, r.exit, r::toString);
        Path dir = ChildJvm.WORK.resolve("leaky");
        assertTrue(r.err.contains("leak report: 2 managed file(s) never closed"), r::toString);
        assertTrue(entry(r.err, "leak: " + dir.resolve("kept-raf") + " [open]; opened at:")
                .contains("at org.fdcap.it.scenarios.Leaky.openAndForget(Leaky.java:"), r::toString);
        assertTrue(entry(r.err, "leak: " + dir.resolve("kept-channel") + " [open]; opened at:")
                .contains("at org.fdcap.it.scenarios.Leaky.openForgottenChannel(Leaky.java:"), r::toString);
        assertFalse(r.err.contains("closed-raf"), r::toString);
        int collected = 0;
        for (int i = 0; i < 10; i++) {
            String header = "leak: " + dir.resolve("dropped-" + i) + " was garbage-collected without close(); opened at:";
            if (r.err.contains(header)) {
                collected++;
                assertTrue(entry(r.err, header).contains("at org.fdcap.it.scenarios.Leaky.openAndDrop(Leaky.java:"),
                        r::toString);
            }
        }
        assertTrue(collected > 0, r::toString);
        assertFalse(entry(r.err, "leak: " + dir.resolve("kept-raf")).contains("org.fdcap.agent."), r::toString);
    }

    @Test
    void withoutLeaksTrueNothingIsReported() throws Exception {
        ChildJvm.Result r = ChildJvm.of(Leaky.class, "leaky-off").limit(256).withAgent("max=100").run();

        assertEquals(0, r.exit, r::toString);
        assertEquals("", r.errWithoutStats(), r::toString);
    }

    @Test
    void theMBeanIsThereTheMomentTheProgramCreatesThePlatformServer() throws Exception {
        // The race this guards against (a poller registering the MBean a moment after the server
        // appears) was intermittent: several JVMs, each looking it up at once.
        for (int i = 0; i < 5; i++) {
            ChildJvm.Result r = ChildJvm.of(JmxLookup.class, "lookup").limit(256)
                    .withAgent("max=100,exclude=" + ChildJvm.CLASSES + "/**").run();

            assertEquals(0, r.exit, r::toString);
            assertTrue(r.out.startsWith("registered=true\nmbean: "), r::toString);
            // One name per number: the MBean's attributes are the exit line's numbers.
            assertEquals(new java.util.TreeSet<>(AgentCli.numbers(r.err, "fdcap: capacity=").keySet()),
                    new java.util.TreeSet<>(AgentCli.numbers(r.out, "mbean:").keySet()), r::toString);
            String threads = r.out.substring(r.out.indexOf("threads:"));
            assertFalse(threads.toLowerCase(java.util.Locale.ROOT).contains("jmx"), "a thread waits for JMX: " + threads);
            assertEquals("", r.errWithoutStats(), r::toString);
        }
    }

    @Test
    void theAgentsOwnStartUpLeavesEveryCounterAtZero() throws Exception {
        // The program opens nothing (its own class files are excluded); the agent's start-up opens,
        // uses and closes a scratch file (its self-test) and, to log at INFO, the JDK reads its
        // time-zone file.
        ChildJvm.Result r = ChildJvm.of(JmxLookup.class, "nothing").limit(256)
                .withAgent("max=100,log.level=info,exclude=" + ChildJvm.CLASSES + "/**").run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.err.contains(" active: "), r::toString);
        Map<String, Long> atExit = AgentCli.numbers(r.err, "fdcap: capacity=");
        assertTrue(atExit.keySet().containsAll(Set.of("uses", "restores", "suspensions", "errors", "overshoots")),
                r::toString);
        for (Map.Entry<String, Long> e : atExit.entrySet()) {
            if (!e.getKey().equals("capacity")) {
                assertEquals(0L, e.getValue(), e.getKey() + "\n" + r);
            }
        }
    }

    @Test
    void withALogFileTheExitLineGoesThereAndNothingToStderr() throws Exception {
        Path log = ChildJvm.WORK.resolve("ops-exit-log.log");
        Files.deleteIfExists(log);
        ChildJvm.Result r = ChildJvm.of(OpsTarget.class, "ops-exit-log", "20", "200", "batch", "close").limit(256)
                .withAgent("max=100,log.file=" + log).run();

        assertEquals(0, r.exit, r::toString);
        assertEquals("", r.err, r::toString);
        String text = Files.readString(log);
        Matcher m = Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} fdcap INFO +\\[fdcap-exit\\] stats: (capacity=\\d+ .*)$")
                .matcher(text);
        assertTrue(m.find(), text);
        Map<String, Long> atExit = AgentCli.numbers(m.group(1), "capacity=");
        assertTrue(atExit.get("suspensions") > 0 && atExit.get("restores") > 0, text);
        assertEquals(0L, atExit.get("errors"), text);
    }

    @Test
    void theVersionIsPrintedByTheCommandLineAndInTheStartUpLine() throws Exception {
        String version;
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(ChildJvm.AGENT.toFile())) {
            version = jar.getManifest().getMainAttributes().getValue("Implementation-Version");
        }
        ChildJvm.Result cli = AgentCli.run("--version");
        ChildJvm.Result r = ChildJvm.of(JmxLookup.class, "nothing").limit(256).withAgent("log.level=info").run();

        assertTrue(version != null && version.matches("\\d+\\.\\d+\\.\\d+.*"), version);
        assertEquals(0, cli.exit, cli::toString);
        assertEquals("fdcap " + version + "\n", cli.out, cli::toString);
        assertEquals("", cli.err, cli::toString);
        assertEquals(0, r.exit, r::toString);
        assertTrue(Pattern.compile("(?m)^\\S+ fdcap INFO +\\[main\\] Installer: fdcap " + Pattern.quote(version)
                + " active: max=").matcher(r.err).find(), r::toString);
    }

    private static int count(String err) {
        Matcher m = STATS_LINE.matcher(err);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** The text from {@code header} to the next report entry. */
    private static String entry(String err, String header) {
        int at = err.indexOf(header);
        assertTrue(at >= 0, "no '" + header + "' in:\n" + err);
        int end = err.length();
        for (String next : List.of("\n  leak: ", " fdcap WARN ", "\nfdcap: ")) {
            int n = err.indexOf(next, at + header.length());
            if (n >= 0) {
                end = Math.min(end, n);
            }
        }
        return err.substring(at, end);
    }

    private static Set<String> reasons(List<RecordedEvent> events) {
        Set<String> out = new java.util.TreeSet<>();
        for (RecordedEvent e : events) {
            out.add(e.getString("reason"));
        }
        return out;
    }
}
