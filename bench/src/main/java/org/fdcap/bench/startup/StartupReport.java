package org.fdcap.bench.startup;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link StartupBenchmark} and prints, for each program, the median of the 10 measured starts
 * without the agent, with it on a first start (no cache: Byte Buddy instruments the JDK types) and
 * with it on a later start (from the cache), and what each adds; then the class-loading cost of the
 * agent's call-site rewriting: the extra time the agent adds to a 5,000-class program beyond what it
 * adds to a hello-world started the same way (class path in a jar), cached starts.
 *
 * <p>{@code java -Dfdcap.agent.jar=agent/target/fdcap-agent.jar -cp bench/target/benchmarks.jar
 * org.fdcap.bench.startup.StartupReport [program...]}: the child JVMs are of the JDK that runs it.
 */
public final class StartupReport {
    private StartupReport() {
    }

    public static void main(String[] args) throws RunnerException {
        OptionsBuilder builder = new OptionsBuilder();
        builder.include(StartupBenchmark.class.getName())
                .jvmArgsAppend("-Dfdcap.agent.jar=" + Child.agentJar());
        if (args.length > 0) {
            builder.param("program", args);
        }
        Options options = builder.build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, double[]> medians = new TreeMap<>();
        for (RunResult r : results) {
            String program = r.getParams().getParam("program");
            String agent = r.getParams().getParam("agent");
            int column = agent.equals("off") ? 0 : agent.equals("first") ? 1 : 2;
            medians.computeIfAbsent(program, k -> new double[3])[column] =
                    r.getPrimaryResult().getStatistics().getPercentile(50);
        }
        System.out.println();
        System.out.println("JDK " + Runtime.version() + ", median of 10 starts (ms):");
        System.out.printf("%-18s %9s %12s %12s %11s %11s%n", "program", "no agent", "first start",
                "cached start", "first cost", "cached cost");
        for (Map.Entry<String, double[]> e : medians.entrySet()) {
            double[] m = e.getValue();
            System.out.printf("%-18s %9.0f %12.0f %12.0f %11.0f %11.0f%n", e.getKey(), m[0], m[1], m[2],
                    m[1] - m[0], m[2] - m[0]);
        }
        double[] base = medians.get("hello-jar");
        if (base != null) {
            for (String p : new String[] {"classes-plain", "classes-calling"}) {
                double[] m = medians.get(p);
                if (m != null) {
                    System.out.printf("class loading (%d classes, %s): the agent adds %.0f ms beyond its start-up%n",
                            Programs.CLASSES, p, (m[2] - m[0]) - (base[2] - base[0]));
                }
            }
        }
    }
}
