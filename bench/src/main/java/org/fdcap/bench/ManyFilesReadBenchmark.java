package org.fdcap.bench;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Random 4 KiB reads over many files (2,000 by default, 16 KiB each), three ways, on the same
 * data and the same access pattern:
 * <ul>
 *   <li>{@code openFiles}: every file opened once as a {@link RandomAccessFile} and kept; each
 *       read is seek + read under the file's own monitor. Without the agent all descriptors stay
 *       open (the uncapped run); with {@code -javaagent ... -Dfdcap.max=200} the agent keeps the
 *       process under the cap, and most reads restore a descriptor.</li>
 *   <li>{@code lruPool}: what users write instead, {@link LruFilePool} of {@code poolSize} files
 *       under one lock.</li>
 *   <li>{@code rawRestoreSyscalls}: the system calls a restore cannot avoid, made directly
 *       (jnr-posix, as the tracker makes them): lseek and close of the victim, open, fstat and
 *       lseek of the file restored, on the same random files. {@code rawRestoreSyscallsWithStat}
 *       adds the stat(2) of the victim's path that checks it can be reopened.</li>
 * </ul>
 * With {@code -Dbench.report=FILE}, a run of {@code openFiles} under the agent appends to
 * FILE, at exit, the tracker's capacity, the reads and the restores (misses) between the end of
 * set-up and the end of the measurement (the closes after it restore too), from which
 * {@link AgentComparison} derives the agent's time per restore.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ManyFilesReadBenchmark {
    static final int FILE_SIZE = 16 * 1024;
    private static final POSIX POSIX_CALLS = POSIXFactory.getNativePOSIX();
    private static final int O_RDONLY = 0;
    private static final AtomicLong READS = new AtomicLong();

    @Param("2000")
    public int files;

    @Param("200")
    public int poolSize;

    Path[] paths;

    @Setup(Level.Trial)
    public void setUp() {
        paths = DataFiles.ensure(files, FILE_SIZE);
    }

    /** Every file open as a RandomAccessFile (suspended and restored by the agent, if present). */
    @State(Scope.Benchmark)
    public static class OpenFiles {
        RandomAccessFile[] rafs;
        /** The tracker's misses when the measurement ended, before the closes (which restore). */
        volatile long missesAtEnd = -1;

        @Setup(Level.Trial)
        public void setUp(ManyFilesReadBenchmark b) throws IOException {
            rafs = new RandomAccessFile[b.files];
            for (int i = 0; i < b.files; i++) {
                rafs[i] = new RandomAccessFile(b.paths[i].toFile(), "r");
            }
            Object stats = AgentStats.stats();
            String report = System.getProperty("bench.report");
            if (stats != null && report != null) {
                long misses0 = AgentStats.get(stats, "restores");
                long capacity = AgentStats.get(stats, "capacity");
                // At exit, after every thread's teardown has added its reads.
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    long misses = missesAtEnd - misses0;
                    try (PrintWriter w = new PrintWriter(new FileWriter(report, true))) {
                        w.println("capacity=" + capacity + " reads=" + READS.get() + " restores=" + misses);
                    } catch (IOException e) {
                        e.printStackTrace();
                    }
                }));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            // Closing a suspended RandomAccessFile restores it first: not a read's restore.
            missesAtEnd = AgentStats.get(AgentStats.stats(), "restores");
            for (RandomAccessFile raf : rafs) {
                raf.close();
            }
        }
    }

    /** The hand-written pool, shared by the threads. */
    @State(Scope.Benchmark)
    public static class Pool {
        LruFilePool pool;

        @Setup(Level.Trial)
        public void setUp(ManyFilesReadBenchmark b) {
            pool = new LruFilePool(b.paths, b.poolSize);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            pool.close();
        }
    }

    /** A thread's access pattern and buffer. */
    @State(Scope.Thread)
    public static class Reader {
        Cursor cursor;
        final byte[] buf = new byte[DataFiles.BLOCK];

        @Setup(Level.Trial)
        public void setUp(ManyFilesReadBenchmark b, ThreadParams thread) {
            cursor = new Cursor(b.files, FILE_SIZE, 2000 + thread.getThreadIndex());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            READS.addAndGet(cursor.reads);
        }
    }

    /** One descriptor cycling through the files as restores would, made with raw system calls. */
    @State(Scope.Thread)
    public static class RawCycle {
        String[] names;
        int fd = -1;
        int file;
        FileStat stat;

        @Setup(Level.Trial)
        public void setUp(ManyFilesReadBenchmark b) {
            names = new String[b.files];
            for (int i = 0; i < b.files; i++) {
                names[i] = b.paths[i].toString();
            }
            stat = POSIX_CALLS.allocateStat();
            fd = POSIX_CALLS.open(names[0], O_RDONLY, 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            POSIX_CALLS.close(fd);
        }
    }

    @Benchmark
    public int openFiles(OpenFiles s, Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        RandomAccessFile raf = s.rafs[c.file()];
        synchronized (raf) {
            raf.seek(c.offset());
            return raf.read(r.buf);
        }
    }

    @Benchmark
    public int lruPool(Pool p, Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        return p.pool.read(c.file(), c.offset(), r.buf);
    }

    @Benchmark
    @Threads(1)
    public long rawRestoreSyscalls(RawCycle raw, Reader r) {
        Cursor c = r.cursor;
        c.advance();
        return restoreCycle(raw, c);
    }

    @Benchmark
    @Threads(1)
    public long rawRestoreSyscallsWithStat(RawCycle raw, Reader r) {
        Cursor c = r.cursor;
        c.advance();
        POSIX_CALLS.stat(raw.names[raw.file], raw.stat); // the victim's path still leads to it?
        return restoreCycle(raw, c);
    }

    private static long restoreCycle(RawCycle raw, Cursor c) {
        // The victim: save its offset, close it.
        long saved = POSIX_CALLS.lseekLong(raw.fd, 0, 1);
        POSIX_CALLS.close(raw.fd);
        // The restored file: open, check its identity, seek back.
        raw.file = c.file();
        raw.fd = POSIX_CALLS.open(raw.names[raw.file], O_RDONLY, 0);
        POSIX_CALLS.fstat(raw.fd, raw.stat);
        return POSIX_CALLS.lseekLong(raw.fd, c.offset(), 0) + saved + raw.stat.ino();
    }
}
