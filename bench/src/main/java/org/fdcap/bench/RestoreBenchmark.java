package org.fdcap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The miss path next to its floor, in the same run.
 *
 * <p>{@code trackerSuspendAndRestore}: a tracker of capacity 1 with two handles on two files;
 * acquiring them in turn suspends one and restores the other every time, so one operation is one
 * suspension plus one restore. {@code rawSyscalls}: the system calls such a cycle cannot avoid,
 * made directly through jnr-posix: lseek (save the offset), close, open, fstat (identity), lseek
 * (seek back).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class RestoreBenchmark {
    private static final POSIX POSIX_CALLS = POSIXFactory.getNativePOSIX();

    private Path dir;
    private FdTracker tracker;
    private FsHandle first;
    private FsHandle second;
    private boolean turn;

    private String rawPath;
    private int rawFd;
    private FileStat stat;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("fdcap-bench");
        tracker = FdTracker.builder().capacity(1).build();
        first = tracker.open(dir.resolve("first"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        second = tracker.open(dir.resolve("second"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        rawPath = dir.resolve("raw").toString();
        rawFd = POSIX_CALLS.open(rawPath, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        stat = POSIX_CALLS.allocateStat();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (tracker.stats().misses() == 0) {
            throw new IllegalStateException("the benchmark never restored a handle");
        }
        first.close();
        second.close();
        tracker.destroy();
        POSIX_CALLS.close(rawFd);
        for (String name : new String[] {"first", "second", "raw"}) {
            Files.delete(dir.resolve(name));
        }
        Files.delete(dir);
    }

    @Benchmark
    public int trackerSuspendAndRestore() throws IOException {
        FsHandle h = turn ? first : second;
        turn = !turn;
        int fd = h.acquire();
        h.release();
        return fd;
    }

    @Benchmark
    public long rawSyscalls() {
        long offset = POSIX_CALLS.lseekLong(rawFd, 0, 1);
        POSIX_CALLS.close(rawFd);
        rawFd = POSIX_CALLS.open(rawPath, OpenFlags.O_RDWR, 0);
        POSIX_CALLS.fstat(rawFd, stat);
        return POSIX_CALLS.lseekLong(rawFd, offset, 0) + stat.ino();
    }

    /** For reference: the raw cycle plus the stat(path) check a safe suspension adds. */
    @Benchmark
    public long rawSyscallsWithPathCheck() {
        POSIX_CALLS.stat(rawPath, stat);
        return rawSyscalls();
    }
}
