package org.fdcap.bench;

import java.io.FileInputStream;
import java.io.FileOutputStream;
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
 * channels shared by all threads. {@code streamRead}: {@link FileInputStream#read(byte[])} of the
 * next 4 KiB of one of a thread's own 64 FileInputStreams, chosen at random (back to the start,
 * through its channel, at the end of the file: once in 64 reads). {@code streamWrite}:
 * {@link FileOutputStream#write(byte[])} of 4 KiB to one of a thread's own 64 files (back to the
 * start at 256 KiB, so the files stay in the page cache).
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
        FileInputStream[] ins;
        FileOutputStream[] outs;
        Path[] written;
        final int[] blocksWritten = new int[FILES];
        final byte[] buf = new byte[DataFiles.BLOCK];
        final ByteBuffer direct = ByteBuffer.allocateDirect(DataFiles.BLOCK);

        @Setup(Level.Trial)
        public void setUp(Files64 files, ThreadParams thread) throws IOException {
            cursor = new Cursor(FILES, FILE_SIZE, 1000 + thread.getThreadIndex());
            rafs = new RandomAccessFile[FILES];
            ins = new FileInputStream[FILES];
            outs = new FileOutputStream[FILES];
            written = new Path[FILES];
            for (int i = 0; i < FILES; i++) {
                rafs[i] = new RandomAccessFile(files.paths[i].toFile(), "r");
                ins[i] = new FileInputStream(files.paths[i].toFile());
                written[i] = java.nio.file.Files.createTempFile("fdcap-bench-write", ".bin");
                outs[i] = new FileOutputStream(written[i].toFile());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            for (int i = 0; i < FILES; i++) {
                rafs[i].close();
                ins[i].close();
                outs[i].close();
                java.nio.file.Files.delete(written[i]);
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
    public int streamRead(Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        FileInputStream in = r.ins[c.file()];
        int n = in.read(r.buf);
        if (n < r.buf.length) {
            in.getChannel().position(0);
        }
        return n;
    }

    @Benchmark
    public void streamWrite(Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        int f = c.file();
        r.outs[f].write(r.buf);
        if (++r.blocksWritten[f] == FILE_SIZE / DataFiles.BLOCK) {
            r.blocksWritten[f] = 0;
            r.outs[f].getChannel().position(0);
        }
    }

    @Benchmark
    public int channelPread(Files64 f, Reader r) throws IOException {
        Cursor c = r.cursor;
        c.advance();
        r.direct.clear();
        return f.channels[c.file()].read(r.direct, c.offset());
    }
}
