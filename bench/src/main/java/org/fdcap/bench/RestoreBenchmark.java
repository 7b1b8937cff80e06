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
public class RestoreBenchmark {
    private static final POSIX POSIX_CALLS = POSIXFactory.getNativePOSIX();

    /** Two handles on two files in a tracker of capacity 1. */
    @State(Scope.Thread)
    public static class TrackerCycle {
        private Path dir;
        private FdTracker tracker;
        private FsHandle first;
        private FsHandle second;
        private boolean turn;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("fdcap-bench");
            tracker = FdTracker.builder().capacity(1).build();
            first = tracker.open(dir.resolve("first"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
            second = tracker.open(dir.resolve("second"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            if (tracker.stats().restores() == 0) {
                throw new IllegalStateException("the benchmark never restored a handle");
            }
            first.close();
            second.close();
            tracker.destroy();
            Files.delete(dir.resolve("first"));
            Files.delete(dir.resolve("second"));
            Files.delete(dir);
        }
    }

    /** One file opened directly. */
    @State(Scope.Thread)
    public static class RawCycle {
        private Path dir;
        private String path;
        private int fd;
        private FileStat stat;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("fdcap-bench");
            path = dir.resolve("raw").toString();
            fd = POSIX_CALLS.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
            stat = POSIX_CALLS.allocateStat();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            POSIX_CALLS.close(fd);
            Files.delete(dir.resolve("raw"));
            Files.delete(dir);
        }
    }

    @Benchmark
    public int trackerSuspendAndRestore(TrackerCycle c) throws IOException {
        FsHandle h = c.turn ? c.first : c.second;
        c.turn = !c.turn;
        int fd = h.acquire();
        h.release();
        return fd;
    }

    @Benchmark
    public long rawSyscalls(RawCycle c) {
        long offset = POSIX_CALLS.lseekLong(c.fd, 0, 1);
        POSIX_CALLS.close(c.fd);
        c.fd = POSIX_CALLS.open(c.path, OpenFlags.O_RDWR, 0);
        POSIX_CALLS.fstat(c.fd, c.stat);
        return POSIX_CALLS.lseekLong(c.fd, offset, 0) + c.stat.ino();
    }

    /** For reference: the raw cycle plus the stat(path) check a safe suspension adds. */
    @Benchmark
    public long rawSyscallsWithPathCheck(RawCycle c) {
        POSIX_CALLS.stat(c.path, c.stat);
        return rawSyscalls(c);
    }
}
