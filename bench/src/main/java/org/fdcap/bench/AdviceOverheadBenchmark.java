package org.fdcap.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

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

    /** A thread's direct buffer with nothing left in it (its files and pattern: {@link FileReadBenchmark.Reader}). */
    @State(Scope.Thread)
    public static class Full {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(16).position(16);
    }

    @Benchmark
    public int channelEmptyRead(FileReadBenchmark.Files64 f, FileReadBenchmark.Reader r, Full full)
            throws IOException {
        Cursor cur = r.cursor;
        cur.advance();
        return f.channels[cur.file()].read(full.buffer, cur.offset());
    }

    @Benchmark
    public int rafEmptyRead(FileReadBenchmark.Reader r) throws IOException {
        Cursor cur = r.cursor;
        cur.advance();
        return r.rafs[cur.file()].read(NOTHING);
    }
}
