package org.fdcap.bench.startup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fdcap.bench.programs.HandleHeap;

/**
 * Heap per tracked handle: runs {@link HandleHeap} over {@code n} files (default 100,000) with the
 * agent at a small cap ({@code max=200}: nearly every handle suspended) and without it, each also
 * with no file, and prints the difference of the live heaps (class histogram totals, after a full
 * GC) per handle, and which classes make it up.
 *
 * <ul>
 *   <li><b>per handle</b> = ((agent, n) − (agent, 0) − ((none, n) − (none, 0))) / n: what one
 *       more tracked handle costs, without the agent's fixed cost (its classes' static state);</li>
 *   <li><b>all in</b> = ((agent, n) − (none, n)) / n: the same with the fixed cost spread over n.</li>
 * </ul>
 * The reference run closes each file after opening it (an unlimited run would need n descriptors,
 * above the usual RLIMIT_NOFILE): the same RandomAccessFile and FileDescriptor objects stay
 * reachable, less the JDK's cleanup record of an open descriptor, which the agent also removes
 * from a suspended one; so the figure does not credit the agent with that saving.
 *
 * <p>{@code java -Dfdcap.agent.jar=agent/target/fdcap-agent.jar -cp bench/target/benchmarks.jar
 * org.fdcap.bench.startup.HeapPerHandleReport [n]}
 */
public final class HeapPerHandleReport {
    /** The target of issue 5: at most this many bytes of heap per tracked handle. */
    static final int TARGET = 200;
    private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)", Pattern.MULTILINE);

    private HeapPerHandleReport() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Programs programs = Programs.create();
        try {
            Path files = programs.emptyFiles(n);
            Run base0 = run(programs, files, 0, false);
            Run baseN = run(programs, files, n, false);
            Run agent0 = run(programs, files, 0, true);
            Run agentN = run(programs, files, n, true);
            double perHandle = ((agentN.total - agent0.total) - (baseN.total - base0.total)) / (double) n;
            double allIn = (agentN.total - baseN.total) / (double) n;
            System.out.println("JDK " + Runtime.version() + ", " + n + " RandomAccessFiles, agent max=200");
            System.out.printf("live heap (histogram total), bytes: none/0 %d, none/n %d, agent/0 %d, agent/n %d%n",
                    base0.total, baseN.total, agent0.total, agentN.total);
            System.out.printf("heap used after System.gc(), bytes: none/0 %d, none/n %d, agent/0 %d, agent/n %d%n",
                    base0.used, baseN.used, agent0.used, agentN.used);
            System.out.printf("per tracked handle: %.1f bytes (all in, fixed cost spread: %.1f) -- target <= %d: %s%n",
                    perHandle, allIn, TARGET, perHandle <= TARGET ? "met" : "NOT met");
            System.out.println("what one more handle costs, by class: ((agent, n) - (agent, 0)) - ((none, n) - (none, 0)),"
                    + " classes contributing at least 0.5 byte per handle:");
            System.out.printf("%12s %14s %10s  %s%n", "objects", "bytes", "per handle", "class");
            Map<String, long[]> delta = new HashMap<>();
            accumulate(delta, agentN, 1);
            accumulate(delta, agent0, -1);
            accumulate(delta, baseN, -1);
            accumulate(delta, base0, 1);
            List<Map.Entry<String, long[]>> rows = new ArrayList<>(delta.entrySet());
            rows.removeIf(e -> Math.abs(e.getValue()[1]) * 2 < n);
            rows.sort((a, b) -> Long.compare(Math.abs(b.getValue()[1]), Math.abs(a.getValue()[1])));
            long listed = 0;
            for (Map.Entry<String, long[]> e : rows) {
                listed += e.getValue()[1];
                System.out.printf("%12d %14d %10.1f  %s%n", e.getValue()[0], e.getValue()[1],
                        e.getValue()[1] / (double) n, e.getKey());
            }
            System.out.printf("%12s %14d %10.1f  %s%n", "", listed, listed / (double) n, "(listed)");
            System.out.println("the agent's fixed cost, (agent, 0) - (none, 0): " + (agent0.total - base0.total)
                    + " bytes; its largest classes:");
            Map<String, long[]> fixed = new HashMap<>();
            accumulate(fixed, agent0, 1);
            accumulate(fixed, base0, -1);
            List<Map.Entry<String, long[]>> top = new ArrayList<>(fixed.entrySet());
            top.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
            for (Map.Entry<String, long[]> e : top.subList(0, Math.min(12, top.size()))) {
                System.out.printf("%12d %14d  %s%n", e.getValue()[0], e.getValue()[1], e.getKey());
            }
        } finally {
            programs.delete();
        }
    }

    private static void accumulate(Map<String, long[]> into, Run run, int sign) {
        run.classes.forEach((k, v) -> {
            long[] d = into.computeIfAbsent(k, x -> new long[2]);
            d[0] += sign * v[0];
            d[1] += sign * v[1];
        });
    }

    private static Run run(Programs programs, Path files, int n, boolean agent) throws IOException, InterruptedException {
        List<String> rest = List.of("-Xmx2g", "-cp", programs.classes().toString(), HandleHeap.class.getName(),
                files.toString(), Integer.toString(n), agent ? "open" : "closed");
        return new Run(Child.run(Child.command(agent, agent ? "max=200" : null, rest)));
    }

    /** What one child printed. */
    private static final class Run {
        final long total;
        final long used;
        /** class name -> {instances, bytes} */
        final Map<String, long[]> classes = new HashMap<>();

        Run(String out) {
            total = value(out, "histogram-total");
            used = value(out, "heap-used");
            Matcher m = ROW.matcher(out.substring(out.indexOf("\nhistogram\n")));
            while (m.find()) {
                classes.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
                        (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
            }
        }

        private static long value(String out, String key) {
            Matcher m = Pattern.compile("^" + key + " (\\d+)$", Pattern.MULTILINE).matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("no " + key + " in:\n" + out);
            }
            return Long.parseLong(m.group(1));
        }
    }
}
