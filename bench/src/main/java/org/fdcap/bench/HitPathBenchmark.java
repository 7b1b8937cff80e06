package org.fdcap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.fdcap.core.OpenFlags;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hit path: acquiring and releasing a handle whose descriptor is open. This is what every
 * read or write of a managed file pays, so it must stay a couple of atomic operations.
 *
 * <p>{@code oneThread} measures one thread alone; {@code twoThreadsOneHandle} two threads pinning
 * the same handle at once (the state word's cache line bounces between cores). {@code twoBareCas}
 * is the floor: two compare-and-sets on one AtomicLong, with nothing else.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class HitPathBenchmark {
    /** For reference: the floor of any scheme that pins and unpins with atomic operations. */
    private final java.util.concurrent.atomic.AtomicLong bare = new java.util.concurrent.atomic.AtomicLong();
    private Path dir;
    private FdTracker tracker;
    private FsHandle handle;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("fdcap-bench");
        tracker = FdTracker.builder().capacity(16).build();
        handle = tracker.open(dir.resolve("file"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        handle.close();
        tracker.destroy();
        Files.delete(dir.resolve("file"));
        Files.delete(dir);
    }

    @Benchmark
    @Threads(1)
    public int oneThread() throws IOException {
        int fd = handle.acquire();
        handle.release();
        return fd;
    }

    @Benchmark
    @Threads(2)
    public int twoThreadsOneHandle() throws IOException {
        int fd = handle.acquire();
        handle.release();
        return fd;
    }

    @Benchmark
    @Threads(1)
    public long twoBareCas() {
        long s = bare.get();
        bare.compareAndSet(s, s + 1);
        long t = bare.get();
        bare.compareAndSet(t, t - 1);
        return t;
    }
}
