package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fdcap.it.scenarios.Churn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 19: files deleted, renamed, replaced and locked while other handles hold them open
 * ({@link Churn}), by 2 and 4 threads with 480 handles in all over 120 files, under an
 * RLIMIT_NOFILE of 256 and {@code fdcap.max=200}, with and without {@code fdcap.unlinked.dir}.
 *
 * <p>An agent that pins such handles for good piles pins up until everything under the cap is
 * pinned: the program then crawls (every open waits for room) or fails. So besides the output of
 * an uncapped run and the cap, the capped run must keep its pace (at most 3 times the wall time of
 * an uncapped run made just before it, which must print what the first uncapped run printed: the
 * workload is deterministic), and at each of the program's checkpoints (all threads paused, nothing in flight) the
 * agent may hold open only what the program's own bookkeeping justifies: one anchor per file
 * deleted or replaced while open ({@code Anchors <= deletedOpenInodes}) and, besides, the handles
 * of locked files ({@code Held <= deletedOpenInodes + lockedHandlesOpen}, of which
 * {@code Locked <= lockedHandlesOpen}: closing any descriptor of a locked file would drop the
 * lock, so all of them stay open while it is held, and none after). An attribute the agent's MBean
 * does not have (yet) is printed as {@code ?} and not checked.
 */
class ChurnIT {
    private static final int LIMIT = 256;
    private static final int MAX = 200;
    private static final int HANDLES = 480;
    private static final int FILES = 120;
    /** Operations in all, shared by the threads: 2 to 3 s uncapped on 2 idle cores. */
    private static final int OPS = 16_000;
    private static final String SEED = "19";
    private static final double MAX_SLOWDOWN = 3.0;

    /** The output of the uncapped run per thread count, made (and checked) once. */
    private static final Map<Integer, String> REFERENCES = new HashMap<>();

    @Test
    void twoThreadsChurningOpenFilesGetTheUncappedOutputUnderTheCapAtTheSamePace() throws Exception {
        prove(2, false);
    }

    @Test
    void twoThreadsChurningOpenFilesKeepDeletedFilesInTheUnlinkedDirectoryAndLeaveItEmpty() throws Exception {
        prove(2, true);
    }

    @Test
    void fourThreadsChurningOpenFilesGetTheUncappedOutputUnderTheCapAtTheSamePace() throws Exception {
        prove(4, false);
    }

    @Test
    void fourThreadsChurningOpenFilesKeepDeletedFilesInTheUnlinkedDirectoryAndLeaveItEmpty() throws Exception {
        prove(4, true);
    }

    private static void prove(int threads, boolean pool) throws Exception {
        String reference = reference(threads);
        String name = "churn-" + threads + (pool ? "-pool" : "");
        Path dir = FaultsIT.fresh(name);
        // Not created here: the agent creates it, mode 0700, as it requires of a directory it did not make.
        Path unlinked = FaultsIT.fresh(name + "-unlinked").resolve("pool");
        String agentArgs = "max=" + MAX + (pool ? ",unlinked.dir=" + unlinked : "");

        // Timed right before the capped run, on the same machine in the same state: a machine shared
        // with other work runs slower or faster from one minute to the next.
        long start = System.nanoTime();
        ChildJvm.Result uncapped = ChildJvm.of(Churn.class, args(dir, threads)).unlimited().run();
        double uncappedSeconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, uncapped.exit, uncapped::toString);
        assertTrue(reference.equals(uncapped.out), () -> name + ": two runs of the same seed without the agent"
                + " printed different things: " + firstDifference(reference, uncapped.out));
        assertEquals(List.of(), leftIn(dir), name + ": files left behind without the agent");

        // Past 3 times the run fails anyway; at 5 times it is killed, so that CI does not wait for
        // an agent that crawls, and says what it saw until then.
        long timeout = Math.max(30, (long) (5 * uncappedSeconds));
        start = System.nanoTime();
        ChildJvm.Running running = ChildJvm.of(Churn.class, args(dir, threads)).limit(LIMIT).withAgent(agentArgs)
                .timeout(timeout).start();
        ChildJvm.Result r;
        try {
            r = running.finish();
        } catch (AssertionError timedOut) {
            String err = running.errSoFar();
            String seen = String.format("churn: threads %d, unlinked.dir %s: uncapped %.1f s, capped: killed after %d s"
                    + " (over %.0f times); until then %d exceptions from the agent, the first: %s; checkpoints %s",
                    threads, pool ? "yes" : "no", uncappedSeconds, timeout, MAX_SLOWDOWN,
                    err.lines().filter(l -> l.startsWith("churn: ")).count(), firstAgentException(err),
                    checkpoints(err));
            System.out.println(seen);
            throw new AssertionError(seen, timedOut);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<Map<String, String>> checkpoints = checkpoints(r.err);
        long agentExceptions = r.err.lines().filter(l -> l.startsWith("churn: ")).count();
        // For the record first, whatever the assertions say below.
        System.out.printf("churn: threads %d, unlinked.dir %s: uncapped %.1f s, capped %.1f s (%.1fx); exit %d,"
                + " output %s, max fds %d of %d, %s, %d exceptions from the agent; checkpoints %s%n",
                threads, pool ? "yes" : "no", uncappedSeconds, seconds, seconds / uncappedSeconds, r.exit,
                reference.equals(r.out) ? "identical" : "DIFFERENT", r.maxFds, MAX, statsOf(r.err), agentExceptions,
                checkpoints);

        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(0, r.exit, r::toString));
        checks.add(() -> assertTrue(reference.equals(r.out), () -> name + ": the output differs from the uncapped"
                + " run's: " + firstDifference(reference, r.out) + "; " + agentExceptions + " exceptions came from the"
                + " agent, the first: " + firstAgentException(r.err)));
        checks.add(() -> assertTrue(r.maxFds <= MAX, name + ": the child held " + r.maxFds + " descriptors, over "
                + MAX + "; at the highest count:\n" + r.peakFds));
        checks.add(() -> assertEquals(0, r.errors(), name + ": the agent counted errors: " + statsOf(r.err)));
        checks.add(() -> assertTrue(seconds <= MAX_SLOWDOWN * uncappedSeconds, String.format(
                "%s: %.1f s under the cap, over %.0f times the %.1f s of the uncapped run", name, seconds,
                MAX_SLOWDOWN, uncappedSeconds)));
        checks.add(() -> assertEquals(List.of(), leftIn(dir), name + ": files left behind in the work directory"));
        checks.add(() -> assertEquals(List.of(), Files.exists(unlinked) ? leftIn(unlinked) : List.of(),
                name + ": files left behind in the unlinked directory"));
        checks.add(() -> assertEquals(3, checkpoints.size(), name + ": checkpoints on stderr:\n" + r.err));
        for (Map<String, String> c : checkpoints) {
            checks.add(() -> assertTrue(c.containsKey("Pinned"), name + ": the agent's MBean was not there: " + c));
            checks.add(() -> assertWithin(c, "Held", "deletedOpenInodes", "lockedHandlesOpen"));
            checks.add(() -> assertWithin(c, "Anchors", "deletedOpenInodes"));
            checks.add(() -> assertWithin(c, "Locked", "lockedHandlesOpen"));
        }
        assertAll(name, checks);
    }

    /**
     * The output of an uncapped run for {@code threads}, made once, which leaves nothing behind;
     * and proof that without the agent, the limit the agent works under makes the same workload
     * fail (it needs more descriptors than that).
     */
    private static synchronized String reference(int threads) throws Exception {
        String cached = REFERENCES.get(threads);
        if (cached != null) {
            return cached;
        }
        String name = "churn-" + threads + "-reference";
        Path dir = FaultsIT.fresh(name);
        ChildJvm.Result reference = ChildJvm.of(Churn.class, args(dir, threads)).unlimited().run();
        assertEquals(0, reference.exit, reference::toString);
        assertTrue(reference.out.endsWith("\ndone\n"), reference::toString);
        assertEquals(List.of(), leftIn(dir), name + ": files left behind");
        assertTrue(reference.maxFds > LIMIT, name + ": without a limit the workload held only " + reference.maxFds
                + " descriptors, not more than the limit of " + LIMIT);

        Path without = FaultsIT.fresh("churn-" + threads + "-without");
        ChildJvm.Result r = ChildJvm.of(Churn.class, args(without, threads)).limit(LIMIT).run();
        assertNotEquals(reference.out, r.out + r.exit, name + ": the workload did not need more than " + LIMIT
                + " descriptors: " + r);

        REFERENCES.put(threads, reference.out);
        return reference.out;
    }

    private static String[] args(Path dir, int threads) {
        return new String[] {dir.toString(), SEED, Integer.toString(threads), Integer.toString(HANDLES / threads),
            Integer.toString(FILES / threads), Integer.toString(OPS / threads)};
    }

    /** The checkpoint lines on stderr, each as its {@code key=value} pairs in order. */
    private static List<Map<String, String>> checkpoints(String err) {
        List<Map<String, String>> all = new ArrayList<>();
        err.lines().filter(l -> l.startsWith("churn-checkpoint ")).forEach(l -> {
            Map<String, String> values = new LinkedHashMap<>();
            for (String pair : l.substring("churn-checkpoint ".length()).split(" ")) {
                int eq = pair.indexOf('=');
                values.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
            all.add(values);
        });
        return all;
    }

    /** {@code c[held] <= sum of c[bounds]} when the agent reports {@code held} as a number. */
    private static void assertWithin(Map<String, String> c, String held, String... bounds) {
        String value = c.get(held);
        if (value == null || !value.matches("\\d+")) {
            return; // not (yet) an attribute of the agent's MBean: printed above, not checked
        }
        long bound = 0;
        for (String b : bounds) {
            bound += Long.parseLong(c.get(b));
        }
        assertTrue(Long.parseLong(value) <= bound, held + "=" + value + " is over " + String.join(" + ", bounds)
                + " = " + bound + " at the checkpoint " + c);
    }

    /** Every path left under {@code dir}, relative. */
    private static List<String> leftIn(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted()
                    .collect(Collectors.toList());
        }
    }

    /** The first line that differs, both ways (whole outputs are thousands of lines). */
    private static String firstDifference(String expected, String actual) {
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        for (int i = 0; i < Math.max(e.length, a.length); i++) {
            String x = i < e.length ? e[i] : "(end)";
            String y = i < a.length ? a[i] : "(end)";
            if (!x.equals(y)) {
                return "line " + (i + 1) + " is <" + y + ">, expected <" + x + ">";
            }
        }
        return "none";
    }

    private static String statsOf(String err) {
        return err.lines().filter(l -> l.startsWith("fdcap: ")).findFirst().orElse("no fdcap stats line");
    }

    private static String firstAgentException(String err) {
        return err.lines().filter(l -> l.startsWith("churn: ")).findFirst().orElse("none");
    }
}
