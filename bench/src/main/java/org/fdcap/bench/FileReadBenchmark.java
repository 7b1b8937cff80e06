package org.fdcap.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The hit path through the JDK, as a program under the agent pays it: random 4 KiB reads over 64
 * open files (256 KiB each, in the page cache), with no cap pressure, so every read finds its
 * descriptor open. {@link AgentComparison} runs it with and without {@code -javaagent} in one run;
 * alone it runs without the agent.
 *
 * <p>{@code rafSeekRead}: {@link RandomAccessFile#seek} + {@link RandomAccessFile#read(byte[])},
 * each thread with its own 64 RandomAccessFiles (a RandomAccessFile's offset is not for sharing).
 * {@code channelPread}: {@link FileChannel#read(ByteBuffer, long)} into a direct buffer, the 64
 * channels shared by all threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED"})
public class FileReadBenchmark {
    static final int FILES = 64;
    static final int FILE_SIZE = 256 * 1024;

    /** The 64 files, and one shared channel on each. */
    @State(Scope.Benchmark)
    public static class Files64 {
        Path[] paths;
        FileChannel[] channels;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            paths = DataFiles.ensure(FILES, FILE_SIZE);
            channels = new FileChannel[FILES];
            for (int i = 0; i < FILES; i++) {
                channels[i] = FileChannel.open(paths[i], StandardOpenOption.READ);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            for (FileChannel ch : channels) {
                ch.close();
            }
        }
    }

    /** A thread's own RandomAccessFiles, buffers and access pattern. */
    @State(Scope.Thread)
    public static class Reader {
        RandomAccessFile[] rafs;
        Cursor cursor;
        final byte[] buf = new byte[DataFiles.BLOCK];
        final ByteBuffer direct = ByteBuffer.allocateDirect(DataFiles.BLOCK);

        @Setup(Level.Trial)
        public void setUp(Files64 files, ThreadParams thread) throws IOException {
            cursor = new Cursor(FILES, FILE_SIZE, 1000 + thread.getThreadIndex());
            rafs = new RandomAccessFile[FILES];
            for (int i = 0; i < FILES; i++) {
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
    public int rafSeekRead(Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        RandomAccessFile raf = r.rafs[c.file()];
        raf.seek(c.offset());
        return raf.read(r.buf);
    }

    @Benchmark
    public int channelPread(Files64 f, Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        r.direct.clear();
        return f.channels[c.file()].read(r.direct, c.offset());
    }
}
