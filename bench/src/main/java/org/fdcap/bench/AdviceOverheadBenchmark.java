package org.fdcap.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The agent's advice alone, without the noise of a system call: the same open files (and shared
 * channels) as {@link FileReadBenchmark}, and calls that go through an advised method but reach no system
 * call. {@code channelEmptyRead} is {@link FileChannel#read(ByteBuffer, long)} into a direct
 * buffer with nothing left (the JDK's channel code runs up to the native read, which returns 0 at
 * once); {@code rafEmptyRead} is {@link RandomAccessFile#read(byte[])} of an empty array (the
 * native read returns 0 before any system call). {@link AgentComparison} ({@code advice}) runs
 * them with and without the agent: the difference is what the agent adds to every call it
 * advises, the quantity the hit-path target is about, measured to the nanosecond where a 4 KiB
 * read's own noise hides it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED"})
public class AdviceOverheadBenchmark {
    private static final byte[] NOTHING = new byte[0];

    /** A thread's own RandomAccessFiles, its full direct buffer and its access pattern. */
    @State(Scope.Thread)
    public static class Caller {
        RandomAccessFile[] rafs;
        Cursor cursor;
        final ByteBuffer full = ByteBuffer.allocateDirect(16).position(16);

        @Setup(Level.Trial)
        public void setUp(FileReadBenchmark.Files64 files, ThreadParams thread) throws IOException {
            cursor = new Cursor(FileReadBenchmark.FILES, FileReadBenchmark.FILE_SIZE, 1000 + thread.getThreadIndex());
            rafs = new RandomAccessFile[files.paths.length];
            for (int i = 0; i < rafs.length; i++) {
                rafs[i] = new RandomAccessFile(files.paths[i].toFile(), "r");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            for (RandomAccessFile raf : rafs) {
                raf.close();
            }
        }
    }

    @Benchmark
    public int channelEmptyRead(FileReadBenchmark.Files64 f, Caller c) throws IOException {
        Cursor cur = c.cursor;
        cur.advance();
        return f.channels[cur.file()].read(c.full, cur.offset());
    }

    @Benchmark
    public int rafEmptyRead(Caller c) throws IOException {
        Cursor cur = c.cursor;
        cur.advance();
        return c.rafs[cur.file()].read(NOTHING);
    }
}
