package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.fdcap.it.fuzz.DifferentialFuzzer;
import org.junit.jupiter.api.Test;

/**
 * The differential fuzzer ({@link DifferentialFuzzer}): the same seeds, run without the agent and
 * with it at tiny caps under a real RLIMIT_NOFILE, give the same digests (every result, position,
 * size and exception class, and the final content of every file).
 *
 * <p>A cap C is the tracker's capacity: the child runs with {@code fdcap.max} = C + the
 * descriptors a JVM holds when the agent starts + the agent's margin, under an RLIMIT_NOFILE of
 * that {@code fdcap.max} + 16 (the agent's default reserve, for what it does not manage: the
 * fuzzer's FileInputStreams, the two descriptors of each {@code Files.copy}). A worker pins at
 * most two descriptors at once (a transfer, an episode), so a cap below 3 per thread could fail
 * by design, not by fault: such a cap is raised to 3 per thread (4 threads: 12).
 *
 * <p>Properties (Maven passes {@code -D} values through): {@code fuzz.first} and
 * {@code fuzz.seeds} (which seeds), {@code fuzz.seed} (one seed alone, for a replay),
 * {@code fuzz.threads} (comma-separated), {@code fuzz.caps}, {@code fuzz.ops} (per thread and
 * seed). The {@code soak} profile runs thousands of seeds.
 */
class DifferentialFuzzIT {
    private static final long FIRST = Long.getLong("fuzz.first", 1);
    private static final int SEEDS = Integer.getInteger("fuzz.seeds", 4);
    private static final String SEED = System.getProperty("fuzz.seed", "");
    private static final String THREADS = System.getProperty("fuzz.threads", "1,2,4");
    private static final String CAPS = System.getProperty("fuzz.caps", "8,32");
    private static final int OPS = Integer.getInteger("fuzz.ops", 1500);

    @Test
    void theSameSeedsGiveTheSameDigestsWithoutTheAgentAndUnderTinyCaps() throws Exception {
        long first = SEED.isBlank() ? FIRST : Long.parseLong(SEED.trim());
        int seeds = SEED.isBlank() ? SEEDS : 1;
        int base = Baseline.descriptorsAtStart();
        List<String> failures = new ArrayList<>();
        for (String t : THREADS.split(",")) {
            int threads = Integer.parseInt(t.trim());
            long timeout = 120 + (long) seeds * threads * OPS / 200;
            String[] args = {"fuzz-" + threads, Long.toString(first), Integer.toString(seeds), Integer.toString(threads),
                Integer.toString(OPS)};
            ChildJvm.Result reference = ChildJvm.of(DifferentialFuzzer.class, args).unlimited().timeout(timeout).run();
            assertEquals(0, reference.exit, reference::toString);
            assertTrue(reference.out.endsWith("done\n"), reference::toString);
            for (String c : CAPS.split(",")) {
                int cap = Math.max(Integer.parseInt(c.trim()), 3 * threads);
                int max = base + cap;
                int limit = max + 16;
                ChildJvm.Result r = ChildJvm.of(DifferentialFuzzer.class, args).limit(limit).withAgent("max=" + max)
                        .timeout(timeout).run();
                String mismatch = firstMismatch(reference.out, r.out);
                if (r.exit != 0 || mismatch != null) {
                    failures.add("threads " + threads + ", cap " + cap + " (fdcap.max=" + max + ", limit " + limit + "): "
                            + (mismatch != null ? mismatch : "exit " + r.exit) + "\n  replay: mvn -B verify -pl it-tests"
                            + " -am -Dit.test=DifferentialFuzzIT -Dfuzz.seed=" + seedOf(mismatch, first)
                            + " -Dfuzz.threads=" + threads + " -Dfuzz.caps=" + cap + " -Dfuzz.ops=" + OPS
                            + "\n  (or trace it: java -cp it-tests/target/classes " + DifferentialFuzzer.class.getName()
                            + " /tmp/fuzz " + seedOf(mismatch, first) + " 1 " + threads + " " + OPS + " trace)\n"
                            + r);
                    continue;
                }
                assertTrue(r.maxFds <= limit, "the child held " + r.maxFds + " descriptors, over " + limit + "; at the highest count:\n" + r.peakFds);
                assertTrue(r.suspensions() > 100L * seeds, r::toString);
                assertEquals("", r.errWithoutStats(), r::toString);
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n\n", failures));
        }
    }

    /** The first seed whose line differs, or null when all are equal. */
    static String firstMismatch(String expected, String actual) {
        String[] e = expected.split("\n");
        String[] a = actual.split("\n");
        for (int i = 0; i < e.length; i++) {
            String got = i < a.length ? a[i] : "(nothing)";
            if (!e[i].equals(got)) {
                return "expected " + e[i] + " got " + got;
            }
        }
        return null;
    }

    private static String seedOf(String mismatch, long first) {
        if (mismatch == null) {
            return Long.toString(first);
        }
        int i = mismatch.indexOf("seed=");
        return i < 0 ? Long.toString(first) : mismatch.substring(i + 5, mismatch.indexOf(' ', i));
    }
}
