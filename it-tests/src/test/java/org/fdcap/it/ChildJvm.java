package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a scenario program in a child JVM under a real RLIMIT_NOFILE ({@code prlimit}), with or
 * without the agent, and samples the child's real descriptor count from {@code /proc/PID/fd}
 * while it runs.
 */
final class ChildJvm {
    static final Path AGENT = Path.of(System.getProperty("fdcap.it.agentJar", "../agent/target/fdcap-agent.jar"))
            .toAbsolutePath().normalize();
    static final String CLASSES = System.getProperty("fdcap.it.classes", "target/classes");
    static final Path WORK = Path.of(System.getProperty("fdcap.it.work", "target/it-work")).toAbsolutePath();
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    /**
     * The agent's cache of instrumented JDK types for the children (never the real home's): shared,
     * so most children after the first start from it; the tests of the cache set their own.
     */
    static final Path CACHE = WORK.resolve("fdcap-cache");

    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> programArgs = new ArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private String classPath = CLASSES;
    private String mainClass;
    private int limit = 256;
    private boolean agent;
    private String agentArgs;
    private long timeoutSeconds = 120;
    private boolean asNobody;

    static ChildJvm of(Class<?> main, String... args) {
        ChildJvm c = new ChildJvm();
        c.mainClass = main.getName();
        c.programArgs.addAll(List.of(args));
        return c;
    }

    static ChildJvm of(String main, String... args) {
        ChildJvm c = new ChildJvm();
        c.mainClass = main;
        c.programArgs.addAll(List.of(args));
        return c;
    }

    /** Runs with the inherited limit (no prlimit): the reference runs. */
    ChildJvm unlimited() {
        limit = 0;
        return this;
    }

    ChildJvm limit(int n) {
        limit = n;
        return this;
    }

    ChildJvm withAgent() {
        agent = true;
        return this;
    }

    ChildJvm withAgent(String args) {
        agent = true;
        agentArgs = args;
        return this;
    }

    ChildJvm jvmArg(String arg) {
        jvmArgs.add(arg);
        return this;
    }

    /** Sets an environment variable of the child (which inherits none of the FDCAP_ ones of this JVM). */
    ChildJvm env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    ChildJvm classPath(String cp) {
        classPath = cp;
        return this;
    }

    /** Runs the child as user nobody (setpriv): for what root's privileges would hide. */
    ChildJvm asNobody() {
        asNobody = true;
        return this;
    }

    ChildJvm timeout(long seconds) {
        timeoutSeconds = seconds;
        return this;
    }

    Result run() throws IOException, InterruptedException {
        return start().finish();
    }

    /** Starts the child and returns at once; {@link Running#finish()} waits for it. */
    Running start() throws IOException {
        assertTrue(Files.isRegularFile(AGENT), "the agent jar is missing: " + AGENT
                + " (build it first: mvn -B -DskipTests package)");
        List<String> cmd = new ArrayList<>();
        if (limit > 0) {
            cmd.add("prlimit");
            cmd.add("--nofile=" + limit + ":" + limit);
        }
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
        }
        cmd.add(JAVA);
        if (agent) {
            cmd.add("-javaagent:" + AGENT + (agentArgs == null ? "" : "=" + agentArgs));
            cmd.add("-Dfdcap.stats=exit");
        }
        if (jvmArgs.stream().noneMatch(a -> a.startsWith("-Dfdcap.cache"))) {
            // nobody could not use root's directory (and would say so on stderr)
            cmd.add(asNobody ? "-Dfdcap.cache=false" : "-Dfdcap.cache.dir=" + CACHE);
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(programArgs);
        Files.createDirectories(WORK);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(WORK.toFile());
        // The agent reads FDCAP_* variables: a developer's own must not change what a test runs.
        pb.environment().keySet().removeIf(name -> name.startsWith("FDCAP_"));
        pb.environment().putAll(environment);
        Process p = pb.start();
        StringBuilder shown = new StringBuilder();
        environment.forEach((name, value) -> shown.append(name).append('=').append(value).append(' '));
        return new Running(shown + String.join(" ", cmd), p, timeoutSeconds);
    }

    /**
     * A child still running: its real descriptor count is sampled from /proc/PID/fd every 2 ms
     * until it ends; a test may wait for its output and write lines to its stdin meanwhile.
     */
    static final class Running {
        private final String command;
        private final Process process;
        private final long deadline;
        private final Gobbler out;
        private final Gobbler err;
        private final Thread sampler;
        private volatile int maxFds;
        /** What the descriptors of the highest count were (best effort: they may close while read). */
        private volatile String peakListing = "";

        private Running(String command, Process process, long timeoutSeconds) {
            this.command = command;
            this.process = process;
            this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            this.out = new Gobbler(process.getInputStream());
            this.err = new Gobbler(process.getErrorStream());
            out.start();
            err.start();
            File fdDir = new File("/proc/" + process.pid() + "/fd");
            sampler = new Thread(() -> {
                try {
                    while (!process.waitFor(2, TimeUnit.MILLISECONDS)) {
                        String[] fds = fdDir.list();
                        if (fds != null && fds.length > maxFds) {
                            maxFds = fds.length;
                            peakListing = listing(fdDir, fds);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "fd-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        long pid() {
            return process.pid();
        }

        /** "fd -> target" for each number listed, so that a count over the cap says what it saw. */
        private static String listing(File fdDir, String[] fds) {
            StringBuilder b = new StringBuilder();
            for (String fd : fds) {
                String target;
                try {
                    target = java.nio.file.Files.readSymbolicLink(new File(fdDir, fd).toPath()).toString();
                } catch (java.io.IOException | RuntimeException e) {
                    target = "(closed while listed)";
                }
                b.append(fd).append(" -> ").append(target).append('\n');
            }
            return b.toString();
        }

        /** Waits until the child's stdout contains {@code text}; fails if it ends or times out first. */
        void awaitOutput(String text) throws InterruptedException {
            while (!out.text().contains(text)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new AssertionError("the child never printed '" + text + "': " + command + "\n--- stdout\n"
                            + out.text() + "\n--- stderr\n" + err.text());
                }
                Thread.sleep(10);
            }
        }

        /** The child's stderr so far. */
        String errSoFar() {
            return err.text();
        }

        /** Writes one line to the child's stdin. */
        void send(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        /** Waits for the child to end (killing it at the timeout). */
        Result finish() throws InterruptedException {
            long left = deadline - System.nanoTime();
            if (!process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("child timed out: " + command + "\n--- stdout\n" + out.text());
            }
            sampler.join();
            out.join();
            err.join();
            return new Result(command, process.exitValue(), out.text(), err.text(), maxFds, peakListing);
        }
    }

    /** What a child did. */
    static final class Result {
        private static final Pattern STATS = Pattern.compile(
                "^fdcap: capacity=(\\d+) .* uses=(\\d+) restores=(\\d+) suspensions=(\\d+) (?:\\(ahead=\\d+\\) )?errors=(\\d+)",
                Pattern.MULTILINE);
        final String command;
        final int exit;
        final String out;
        final String err;
        final int maxFds;
        /** The descriptors seen when the count was highest, one "fd -> target" per line. */
        final String peakFds;

        Result(String command, int exit, String out, String err, int maxFds, String peakFds) {
            this.command = command;
            this.exit = exit;
            this.out = out;
            this.err = err;
            this.maxFds = maxFds;
            this.peakFds = peakFds;
        }

        /** stderr without the agent's stats line (what the host would see in normal operation). */
        String errWithoutStats() {
            return err.replaceAll("(?m)^fdcap: capacity=.*\\R?", "");
        }

        long stat(int group) {
            Matcher m = STATS.matcher(err);
            if (!m.find()) {
                throw new AssertionError("no fdcap stats in stderr:\n" + err);
            }
            return Long.parseLong(m.group(group));
        }

        long suspensions() {
            return stat(4);
        }

        long restores() {
            return stat(3);
        }

        long errors() {
            return stat(5);
        }

        @Override
        public String toString() {
            return command + "\nexit " + exit + ", max fds " + maxFds + "\n--- stdout\n" + tail(out) + "\n--- stderr\n"
                    + tail(err) + "\n--- descriptors at the highest count\n" + peakFds;
        }

        private static String tail(String s) {
            return s.length() > 4000 ? "..." + s.substring(s.length() - 4000) : s;
        }
    }

    private static final class Gobbler extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Gobbler(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                in.transferTo(buf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
