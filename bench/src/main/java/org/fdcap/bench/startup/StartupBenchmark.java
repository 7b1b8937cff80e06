package org.fdcap.bench.startup;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fdcap.bench.programs.Hello;
import org.fdcap.bench.programs.LoadClasses;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Wall-clock time of a whole child JVM, from launch to exit, with and without
 * {@code -javaagent:fdcap-agent.jar} (default settings), on the same programs in the same run.
 * One operation is one start; {@link StartupReport} runs it and prints medians and differences.
 *
 * <p>{@code agent}: {@code off} (no agent); {@code first}, the agent with
 * {@code -Dfdcap.cache=false}, so that every start instruments the JDK types with Byte Buddy as a
 * first start does; {@code cached}, the agent with its cache of instrumented JDK types in a fresh
 * directory of the trial (the warm-up start fills it, as a user's first start would): what every
 * later start costs. No run touches the user's own cache ({@code ~/.cache/fdcap}).
 *
 * <ul>
 *   <li>{@code hello}: {@code java -cp classes Hello} (a directory on the class path);</li>
 *   <li>{@code hello-jar}: {@code java -jar hello.jar} (the class path is a jar, which the
 *       JDK opens through RandomAccessFile, so the agent manages it);</li>
 *   <li>{@code classes-plain}: loads 5,000 generated classes from a jar, none of which calls a
 *       rewritten native (the agent only runs its pre-filter on them);</li>
 *   <li>{@code classes-calling}: the same, each class calling
 *       {@code RandomAccessFile.getFilePointer()}, so every class is rewritten (the worst case).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 10)
@Fork(1)
public class StartupBenchmark {
    @Param({"hello", "hello-jar", "classes-plain", "classes-calling"})
    public String program;

    @Param({"off", "first", "cached"})
    public String agent;

    private Programs programs;
    private List<String> command;
    private String expected;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        programs = Programs.create();
        List<String> rest;
        switch (program) {
            case "hello":
                rest = List.of("-cp", programs.classes().toString(), Hello.class.getName());
                expected = "hello\n";
                break;
            case "hello-jar":
                rest = List.of("-jar", programs.helloJar().toString());
                expected = "hello\n";
                break;
            case "classes-plain":
            case "classes-calling":
                String jar = programs.generatedClasses(program.equals("classes-calling")).toString();
                rest = List.of("-cp", programs.classes() + ":" + jar, LoadClasses.class.getName(),
                        Integer.toString(Programs.CLASSES));
                expected = "loaded " + Programs.CLASSES + "\n";
                break;
            default:
                throw new IllegalArgumentException(program);
        }
        command = Child.command(!agent.equals("off"), null,
                agent.equals("cached") ? programs.dir.resolve("fdcap-cache") : null, rest);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        programs.delete();
    }

    /** One start, to the end; fails if the program's output (stdout and stderr) is not exactly as expected. */
    @Benchmark
    public String start() throws IOException, InterruptedException {
        String out = Child.run(command);
        if (!out.equals(expected)) {
            throw new IllegalStateException("unexpected output of " + command + ":\n" + out);
        }
        return out;
    }
}
