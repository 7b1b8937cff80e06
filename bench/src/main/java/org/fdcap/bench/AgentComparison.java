package org.fdcap.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.commons.math3.distribution.TDistribution;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the read benchmarks with and without the agent in one run, on the same data, and prints
 * the comparisons (Markdown tables) that docs/performance.md reports.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.fdcap.bench.AgentComparison SUITE [options]
 *   hit    FileReadBenchmark, no agent vs agent without cap pressure: the hit-path overhead;
 *          --forks pairs of one fork each, in alternating order, compared pair by pair
 *   advice AdviceOverheadBenchmark, no agent vs agent: what the advice adds to a call, no system
 *          call; paired forks as for hit
 *   miss   ManyFilesReadBenchmark: uncapped vs agent at -Dfdcap.max=200 vs the LRU pool, and the
 *          raw restore system calls (by one thread, and by as many threads as the row's); derives
 *          the agent's time per restore; --forks rounds of one fork of each, in rotating order,
 *          compared round by round
 *   sweep  throughput against cap / working set for agent, pool and uncapped; writes a CSV and
 *          the SVG chart (--csv, --svg)
 * options: --forks N (2)  --warmup N (3)  --iterations N (5)  --time SECONDS (1)  --threads 1,2
 *          --files N (2000)  --max N (200)  --ratios 0.05,0.1,...  --csv FILE  --svg FILE
 *          --agent JAR (default: agent/target/fdcap-agent.jar beside bench/target)  --verbose
 *          --only M,N (hit and advice: these benchmark methods only, e.g. channelPread)
 *          --baseline-agent JAR (hit and advice: the "no agent" side runs with this agent jar
 *          instead, to compare two builds of the agent pair by pair)
 *          --agent-options "-Dfdcap.spare=0 ..." (JVM arguments added to every run with the agent)
 * </pre>
 */
public final class AgentComparison {
    private static final String[] BASE_JVM_ARGS = {"-XX:+IgnoreUnrecognizedVMOptions",
        "--enable-native-access=ALL-UNNAMED"};

    private final Map<String, String> opts;
    private final String agentJar;
    private final PrintStream out = System.out;

    private AgentComparison(Map<String, String> opts) {
        this.opts = opts;
        this.agentJar = findAgentJar(opts.get("agent"));
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: AgentComparison hit|advice|miss|sweep [--forks N] [--warmup N] [--iterations N]"
                    + " [--time S] [--threads 1,2] [--files N] [--max N] [--ratios a,b,...] [--csv F] [--svg F]"
                    + " [--agent JAR] [--baseline-agent JAR] [--agent-options \"-Dk=v ...\"] [--only METHOD,...] [--verbose]");
            System.exit(2);
        }
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String key = args[i].replaceFirst("^--", "");
            if (key.equals("verbose")) {
                opts.put(key, "true");
            } else {
                opts.put(key, args[++i]);
            }
        }
        AgentComparison c = new AgentComparison(opts);
        c.out.println("# " + args[0] + " — " + System.getProperty("java.vm.name") + " " + Runtime.version()
                + ", agent " + c.agentJar + ", options " + opts);
        switch (args[0]) {
            case "hit":
                c.hit();
                break;
            case "advice":
                c.advice();
                break;
            case "miss":
                c.miss();
                break;
            case "sweep":
                c.sweep();
                break;
            default:
                throw new IllegalArgumentException("unknown suite " + args[0]);
        }
    }

    // ---- suites ----

    private void hit() throws RunnerException {
        out.println();
        out.println("| reads | threads | pairs | " + baselineName() + " (ns/read) | agent (ns/read) | agent slower by (mean, 95% CI)"
                + " | median pair |");
        out.println("|---|---|---|---|---|---|---|");
        for (String method : opts.getOrDefault("only", "rafSeekRead,channelPread,streamRead,streamWrite").split(",")) {
            for (int t : threads()) {
                Paired p = paired(FileReadBenchmark.class, method, t);
                out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %+.1f%% |%n", method, t, p.pairs, p.none,
                        p.agent, p.overheadPercent(), 100 * p.medianRatio);
            }
        }
    }

    /** The paired comparisons' other side: no agent, or the build given by --baseline-agent. */
    private String baselineName() {
        String jar = opts.get("baseline-agent");
        return jar == null ? "no agent" : "agent " + new File(jar).getName();
    }

    private void advice() throws RunnerException {
        out.println();
        out.println("| advised call | threads | pairs | " + baselineName() + " (ns/call) | agent (ns/call) | agent adds (ns/call, 95% CI) |");
        out.println("|---|---|---|---|---|---|");
        for (String method : opts.getOrDefault("only", "rafEmptyRead,channelEmptyRead").split(",")) {
            for (int t : threads()) {
                Paired p = paired(AdviceOverheadBenchmark.class, method, t);
                out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %s |%n", method, t, p.pairs, p.none, p.agent,
                        p.difference);
            }
        }
    }

    /**
     * Per thread count, {@code --forks} rounds; a round is one fork each of the raw restore calls
     * (made by as many threads), the uncapped reads, the agent and the pool, in an order that
     * rotates from round to round. This VM's speed with two busy threads shifts by 15% or more for
     * tens of seconds at a time (a C loop of the same system calls shows it too), so a ratio of
     * figures taken minutes apart measures the machine as much as the agent: each round's ratios
     * are taken from forks run within the same minute, and the rounds' median is the figure.
     */
    private void miss() throws RunnerException, IOException {
        int files = intOpt("files", 2000);
        int max = intOpt("max", 200);
        int rounds = intOpt("forks", 2);
        if (rounds < 2) {
            throw new IllegalArgumentException("--forks must be at least 2 for miss: each is a round of its own");
        }
        Map<String, String> params = Map.of("files", String.valueOf(files));
        Score raw = run(ManyFilesReadBenchmark.class, "rawRestoreSyscalls", 1, params, List.of());
        Score rawStat = run(ManyFilesReadBenchmark.class, "rawRestoreSyscallsWithStat", 1, params, List.of());
        out.println();
        out.printf(Locale.ROOT, "raw restore system calls (lseek, close, open, fstat, lseek): %s ns; with the stat(2)"
                + " path check: %s ns%n", raw, rawStat);
        out.println();
        out.println("| threads | rounds | uncapped, all " + files + " open (ns/read) | agent, fdcap.max=" + max
                + " (ns/read) | tracker capacity | restores/read | agent ns/restore | raw syscalls, as many threads,"
                + " same rounds (ns) | x raw, per round | x raw, median round | x one-thread raw above"
                + " | LRU pool of the same capacity (ns/read) | agent faster than pool by, median round |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (int t : threads()) {
            double[] rawT = new double[rounds];
            double[] uncapped = new double[rounds];
            double[] agent = new double[rounds];
            double[] restoresPerRead = new double[rounds];
            double[] perRestore = new double[rounds];
            double[] pool = new double[rounds];
            double[] ratio = new double[rounds];
            double[] poolRatio = new double[rounds];
            int capacity = -1;
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 4; k++) {
                    switch ((r + k) % 4) {
                        case 0:
                            // What the kernel gives each of t threads making these calls at once
                            // (the descriptor table and the directory are shared): the floor for t > 1.
                            rawT[r] = run(ManyFilesReadBenchmark.class, "rawRestoreSyscalls", t, params, List.of(), 1).mean;
                            break;
                        case 1:
                            uncapped[r] = run(ManyFilesReadBenchmark.class, "openFiles", t, params, List.of(), 1).mean;
                            break;
                        case 2:
                            AgentRun a = runAgent(files, max, t, 1);
                            agent[r] = a.score.mean;
                            capacity = a.capacity;
                            restoresPerRead[r] = a.restoresPerRead;
                            break;
                        default:
                            // The pool gets the tracker's capacity: the first round runs the agent
                            // before the pool, and the capacity does not change between forks.
                            pool[r] = run(ManyFilesReadBenchmark.class, "lruPool", t, Map.of("files",
                                    String.valueOf(files), "poolSize", String.valueOf(capacity)), List.of(), 1).mean;
                            break;
                    }
                }
                // Per read, each thread: (agent - uncapped) is what the restores cost, spread over
                // the reads; threads overlap, so per restore it is the time one thread spends on it.
                perRestore[r] = (agent[r] - uncapped[r]) / restoresPerRead[r];
                ratio[r] = perRestore[r] / rawT[r];
                poolRatio[r] = pool[r] / agent[r];
                System.err.printf(Locale.ROOT, "  round %d: raw %.0f, uncapped %.0f, agent %.0f (%.0f ns/restore, %.2fx raw),"
                        + " pool %.0f (%.2fx)%n", r + 1, rawT[r], uncapped[r], agent[r], perRestore[r], ratio[r], pool[r],
                        poolRatio[r]);
            }
            StringBuilder perRound = new StringBuilder();
            for (double x : ratio) {
                perRound.append(perRound.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", x));
            }
            Score restore = meanCi(perRestore);
            double meanRestoresPerRead = Arrays.stream(restoresPerRead).average().orElse(Double.NaN);
            out.printf(Locale.ROOT, "| %d | %d | %s | %s | %d | %.3f | %s | %s | %s | **%.2f** | %.2f | %s | **%.2fx** |%n",
                    t, rounds, meanCi(uncapped), meanCi(agent), capacity, meanRestoresPerRead, restore, meanCi(rawT),
                    perRound, median(ratio), restore.mean / raw.mean, meanCi(pool), median(poolRatio));
        }
    }

    private void sweep() throws RunnerException, IOException {
        int files = intOpt("files", 2000);
        double[] ratios = Arrays.stream(opts.getOrDefault("ratios", "0.05,0.1,0.2,0.3,0.5,0.75,1.0").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        List<String> csv = new ArrayList<>();
        csv.add("series,threads,capacity,ratio,reads_per_second,error");
        int slack = 16;
        for (int t : threads()) {
            Score uncapped = run(ManyFilesReadBenchmark.class, "openFiles", t, Map.of("files", String.valueOf(files)),
                    List.of());
            csv.add(row("uncapped", t, files, files, uncapped));
            for (double r : ratios) {
                int cap = Math.max(1, (int) Math.round(r * files));
                // fdcap.max counts the descriptors open before the agent starts (the JVM's own);
                // learn how many from the first run, so that the tracker's capacity is `cap`.
                AgentRun agent = runAgent(files, cap + slack, t);
                if (agent.capacity != cap) {
                    slack = cap + slack - agent.capacity;
                    agent = runAgent(files, cap + slack, t);
                }
                csv.add(row("agent", t, agent.capacity, files, agent.score));
                Score pool = run(ManyFilesReadBenchmark.class, "lruPool", t,
                        Map.of("files", String.valueOf(files), "poolSize", String.valueOf(agent.capacity)), List.of());
                csv.add(row("pool", t, agent.capacity, files, pool));
                out.printf(Locale.ROOT, "threads %d, capacity %d (%.3f): agent %s, pool %s, uncapped %s ns/read%n", t,
                        agent.capacity, agent.capacity / (double) files, agent.score, pool, uncapped);
            }
        }
        String csvFile = opts.get("csv");
        if (csvFile != null) {
            Files.write(Path.of(csvFile), csv, StandardCharsets.UTF_8);
            out.println("wrote " + csvFile);
        } else {
            csv.forEach(out::println);
        }
        String svg = opts.get("svg");
        if (svg != null) {
            String title = "Random 4 KiB reads over " + files + " files, "
                    + System.getProperty("java.vm.name").replace("OpenJDK 64-Bit Server VM", "JDK") + " "
                    + Runtime.version().feature();
            Files.writeString(Path.of(svg), ThroughputChart.svg(title, csv), StandardCharsets.UTF_8);
            out.println("wrote " + svg);
        }
    }

    private static String row(String series, int threads, int capacity, int files, Score s) {
        // Throughput of all threads together, from the average time per read of each.
        double perSecond = threads * 1e9 / s.mean;
        double error = Double.isNaN(s.error) ? 0 : perSecond * s.error / s.mean;
        return String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.0f,%.0f", series, threads, capacity,
                capacity / (double) files, perSecond, error);
    }

    // ---- running ----

    /** A mean and its 99.9% confidence half-width, as JMH reports them. */
    static final class Score {
        final double mean;
        final double error;

        Score(double mean, double error) {
            this.mean = mean;
            this.error = error;
        }

        @Override
        public String toString() {
            return Double.isNaN(error) ? String.format(Locale.ROOT, "%.0f", mean)
                    : String.format(Locale.ROOT, "%.0f ± %.0f", mean, error);
        }
    }

    private static final class AgentRun {
        Score score;
        int capacity;
        double restoresPerRead;
    }

    /**
     * Without and with the agent, one fork each, {@code --forks} times, in alternating order (none
     * then agent, agent then none, ...): the machine's drift over minutes, larger than the effect
     * on the hit path, then falls on both sides alike, and each pair's difference cancels it.
     * The sides' scores are the means of their forks; the differences are paired, with a 95%
     * confidence interval from Student's t over the pairs.
     */
    private Paired paired(Class<?> benchmark, String method, int threads) throws RunnerException {
        int pairs = intOpt("forks", 2);
        if (pairs < 2) {
            throw new IllegalArgumentException("--forks must be at least 2 for a paired comparison");
        }
        List<String> agentArgs = withAgentOptions("-javaagent:" + agentJar, "-Dfdcap.cache=false");
        String baselineJar = opts.get("baseline-agent");
        List<String> noneArgs = baselineJar == null ? List.of()
                : List.of("-javaagent:" + new File(baselineJar).getAbsolutePath(), "-Dfdcap.cache=false");
        if (baselineJar != null && !new File(baselineJar).isFile()) {
            throw new IllegalArgumentException("--baseline-agent: no such file: " + baselineJar);
        }
        double[] none = new double[pairs];
        double[] agent = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            if (i % 2 == 0) {
                none[i] = run(benchmark, method, threads, Map.of(), noneArgs, 1).mean;
                agent[i] = run(benchmark, method, threads, Map.of(), agentArgs, 1).mean;
            } else {
                agent[i] = run(benchmark, method, threads, Map.of(), agentArgs, 1).mean;
                none[i] = run(benchmark, method, threads, Map.of(), noneArgs, 1).mean;
            }
        }
        double[] diff = new double[pairs];
        double[] ratio = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            diff[i] = agent[i] - none[i];
            ratio[i] = agent[i] / none[i] - 1;
        }
        System.err.printf(Locale.ROOT, "  pairs (%s, agent): %s%n", baselineName(), pairsText(none, agent));
        return new Paired(pairs, meanCi(none), meanCi(agent), meanCi(diff), meanCi(ratio), median(ratio));
    }

    private static String pairsText(double[] none, double[] agent) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < none.length; i++) {
            sb.append(String.format(Locale.ROOT, "%s(%.0f, %.0f)", i == 0 ? "" : " ", none[i], agent[i]));
        }
        return sb.toString();
    }

    /** The mean of {@code xs} and the half-width of its 95% confidence interval (Student's t). */
    static Score meanCi(double[] xs) {
        int n = xs.length;
        double mean = Arrays.stream(xs).average().orElse(Double.NaN);
        double ss = 0;
        for (double x : xs) {
            ss += (x - mean) * (x - mean);
        }
        double sd = Math.sqrt(ss / (n - 1));
        double t = new TDistribution(n - 1).inverseCumulativeProbability(0.975);
        return new Score(mean, t * sd / Math.sqrt(n));
    }

    static double median(double[] xs) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * A paired comparison: each side, their difference, the relative difference, and the median
     * of the pairs' relative differences (a fork far off, which happens, moves it less than the mean).
     */
    private static final class Paired {
        final int pairs;
        final Score none;
        final Score agent;
        final Score difference;
        final Score ratio;
        final double medianRatio;

        Paired(int pairs, Score none, Score agent, Score difference, Score ratio, double medianRatio) {
            this.pairs = pairs;
            this.none = none;
            this.agent = agent;
            this.difference = difference;
            this.ratio = ratio;
            this.medianRatio = medianRatio;
        }

        String overheadPercent() {
            return String.format(Locale.ROOT, "%+.1f%% ± %.1f%%", 100 * ratio.mean, 100 * ratio.error);
        }
    }

    private AgentRun runAgent(int files, int max, int threads) throws RunnerException, IOException {
        return runAgent(files, max, threads, intOpt("forks", 2));
    }

    private AgentRun runAgent(int files, int max, int threads, int forks) throws RunnerException, IOException {
        Path report = Files.createTempFile("fdcap-bench-report", ".txt");
        try {
            AgentRun a = new AgentRun();
            a.score = run(ManyFilesReadBenchmark.class, "openFiles", threads, Map.of("files", String.valueOf(files)),
                    withAgentOptions("-javaagent:" + agentJar, "-Dfdcap.cache=false", "-Dfdcap.max=" + max,
                            "-Dbench.report=" + report), forks);
            long reads = 0;
            long misses = 0;
            for (String line : Files.readAllLines(report)) {
                Map<String, Long> kv = new LinkedHashMap<>();
                for (String part : line.trim().split(" ")) {
                    String[] p = part.split("=");
                    kv.put(p[0], Long.parseLong(p[1]));
                }
                a.capacity = kv.get("capacity").intValue();
                reads += kv.get("reads");
                misses += kv.get("restores");
            }
            if (reads == 0) {
                throw new IllegalStateException("the agent run reported nothing: was the agent attached?");
            }
            a.restoresPerRead = misses / (double) reads;
            return a;
        } finally {
            Files.deleteIfExists(report);
        }
    }

    /** The agent's JVM arguments, then those of --agent-options (space-separated, e.g. "-Dfdcap.spare=0"). */
    private List<String> withAgentOptions(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        String more = opts.get("agent-options");
        if (more != null && !more.isBlank()) {
            all.addAll(Arrays.asList(more.trim().split("\\s+")));
        }
        return all;
    }

    private Score run(Class<?> benchmark, String method, int threads, Map<String, String> params, List<String> jvmArgs)
            throws RunnerException {
        return run(benchmark, method, threads, params, jvmArgs, intOpt("forks", 2));
    }

    private Score run(Class<?> benchmark, String method, int threads, Map<String, String> params, List<String> jvmArgs,
            int forks) throws RunnerException {
        List<String> args = new ArrayList<>(Arrays.asList(BASE_JVM_ARGS));
        args.addAll(jvmArgs);
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^" + Pattern.quote(benchmark.getName() + "." + method) + "$")
                .threads(threads)
                .forks(forks)
                .warmupIterations(intOpt("warmup", 3))
                .warmupTime(TimeValue.seconds(intOpt("time", 1)))
                .measurementIterations(intOpt("iterations", 5))
                .measurementTime(TimeValue.seconds(intOpt("time", 1)))
                .jvmArgsAppend(args.toArray(new String[0]))
                .shouldFailOnError(true)
                .verbosity(opts.containsKey("verbose") ? VerboseMode.NORMAL : VerboseMode.SILENT);
        for (Map.Entry<String, String> p : params.entrySet()) {
            b.param(p.getKey(), p.getValue());
        }
        System.err.printf(Locale.ROOT, "running %s.%s, %d thread(s), %s %s%n", benchmark.getSimpleName(), method,
                threads, params, jvmArgs);
        Collection<RunResult> results = new Runner(b.build()).run();
        if (results.size() != 1) {
            throw new IllegalStateException("expected one result for " + method + ", got " + results.size());
        }
        Result<?> r = results.iterator().next().getPrimaryResult();
        Score s = new Score(r.getScore(), r.getScoreError());
        System.err.println("  -> " + s + " " + r.getScoreUnit());
        return s;
    }

    // ---- helpers ----

    private int[] threads() {
        return Arrays.stream(opts.getOrDefault("threads", "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private int intOpt(String name, int def) {
        return Integer.parseInt(opts.getOrDefault(name, String.valueOf(def)));
    }

    private static String percent(Score a, Score base) {
        double ratio = a.mean / base.mean - 1;
        double err = (Double.isNaN(a.error) || Double.isNaN(base.error)) ? Double.NaN
                : Math.hypot(a.error / base.mean, a.mean * base.error / (base.mean * base.mean));
        return Double.isNaN(err) ? String.format(Locale.ROOT, "%+.1f%%", 100 * ratio)
                : String.format(Locale.ROOT, "%+.1f%% ± %.1f%%", 100 * ratio, 100 * err);
    }

    /** The agent jar: --agent, else agent/target/fdcap-agent.jar of the tree the benchmarks jar was built in. */
    static String findAgentJar(String given) {
        File jar;
        if (given != null) {
            jar = new File(given);
        } else {
            try {
                File self = new File(AgentComparison.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                // bench/target/benchmarks.jar (or bench/target/classes) -> <root>/agent/target/fdcap-agent.jar
                jar = new File(self.getParentFile().getParentFile().getParentFile(), "agent/target/fdcap-agent.jar");
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!jar.isFile()) {
            throw new IllegalStateException(jar + " not found: build it with `mvn -B -DskipTests package` at the"
                    + " root, or give --agent PATH");
        }
        return jar.getAbsolutePath();
    }
}
