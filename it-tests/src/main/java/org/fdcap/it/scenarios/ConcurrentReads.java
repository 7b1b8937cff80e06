package org.fdcap.it.scenarios;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many threads on shared channels: positional reads on FileChannels from platform threads (and
 * virtual threads where the JDK has them), plus seek+read on shared RandomAccessFiles, far more
 * files than the cap, every byte checked. Prints totals that do not depend on timing.
 *
 * <p>Usage: {@code ConcurrentReads workDir files threadsPerKind readsPerThread}
 */
public final class ConcurrentReads {
    private static final int SIZE = 8192;

    private ConcurrentReads() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int files = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        int reads = Integer.parseInt(args[3]);
        FileChannel[] channels = new FileChannel[files];
        RandomAccessFile[] rafs = new RandomAccessFile[files];
        for (int i = 0; i < files; i++) {
            Path p = dir.resolve("f" + i);
            byte[] content = new byte[SIZE];
            for (int j = 0; j < SIZE; j++) {
                content[j] = expected(i, j);
            }
            Files.write(p, content);
            channels[i] = FileChannel.open(p, StandardOpenOption.READ);
            rafs[i] = new RandomAccessFile(p.toFile(), "r");
        }
        AtomicLong bytes = new AtomicLong();
        AtomicLong mismatches = new AtomicLong();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int seed = t;
            all.add(new Thread(() -> channelReads(channels, seed, reads, bytes, mismatches)));
            all.add(new Thread(() -> rafReads(rafs, seed + 1000, reads, bytes, mismatches)));
            Thread v = virtualThread(() -> channelReads(channels, seed + 2000, reads, bytes, mismatches));
            all.add(v != null ? v : new Thread(() -> channelReads(channels, seed + 2000, reads, bytes, mismatches)));
        }
        for (Thread t : all) {
            t.start();
        }
        for (Thread t : all) {
            t.join();
        }
        for (int i = 0; i < files; i++) {
            channels[i].close();
            rafs[i].close();
        }
        System.out.println("threads: " + all.size() + ", bytes read: " + bytes.get() + ", mismatches: "
                + mismatches.get());
    }

    private static void channelReads(FileChannel[] channels, int seed, int reads, AtomicLong bytes,
            AtomicLong mismatches) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocate(64);
        try {
            for (int n = 0; n < reads; n++) {
                int i = rnd.nextInt(channels.length);
                int pos = rnd.nextInt(SIZE - 64);
                buf.clear();
                while (buf.hasRemaining()) {
                    channels[i].read(buf, pos + buf.position());
                }
                for (int j = 0; j < 64; j++) {
                    if (buf.get(j) != expected(i, pos + j)) {
                        mismatches.incrementAndGet();
                    }
                }
                bytes.addAndGet(64);
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void rafReads(RandomAccessFile[] rafs, int seed, int reads, AtomicLong bytes,
            AtomicLong mismatches) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] buf = new byte[32];
        try {
            for (int n = 0; n < reads; n++) {
                int i = rnd.nextInt(rafs.length);
                int pos = rnd.nextInt(SIZE - 32);
                synchronized (rafs[i]) {
                    rafs[i].seek(pos);
                    rafs[i].readFully(buf);
                    if (rafs[i].getFilePointer() != pos + 32) {
                        mismatches.incrementAndGet();
                    }
                }
                for (int j = 0; j < 32; j++) {
                    if (buf[j] != expected(i, pos + j)) {
                        mismatches.incrementAndGet();
                    }
                }
                bytes.addAndGet(32);
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static byte expected(int file, int offset) {
        return (byte) (file * 31 + offset * 7 + (offset >> 8));
    }

    /** A virtual thread on JDK 21+, built reflectively (this code compiles for 17); null before. */
    private static Thread virtualThread(Runnable r) {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                    .invoke(builder, r);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }
}
