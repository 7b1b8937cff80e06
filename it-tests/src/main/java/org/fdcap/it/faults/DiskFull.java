package org.fdcap.it.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * Fills a small filesystem through hundreds of handles (RandomAccessFiles and FileChannels,
 * suspended and restored under the agent) until writes fail, printing every write's outcome
 * (bytes written or the exception with its message); then frees space by truncating through the
 * handles, writes again and reads everything back. Run once without the agent and once with it,
 * on the same empty filesystem, the output must be the same: the program sees the same errors.
 *
 * <p>Usage: {@code DiskFull dir filesPerKind chunkSize}
 */
public final class DiskFull {
    private DiskFull() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        int chunk = Integer.parseInt(args[2]);
        RandomAccessFile[] rafs = new RandomAccessFile[n];
        FileChannel[] channels = new FileChannel[n];
        for (int i = 0; i < n; i++) {
            rafs[i] = new RandomAccessFile(dir.resolve("raf" + i).toFile(), "rw");
            channels[i] = FileChannel.open(dir.resolve("ch" + i), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }
        byte[] data = new byte[chunk];
        int failures = 0;
        for (int round = 0; failures < 2 * n && round < 10_000; round++) {
            for (int j = 0; j < n; j++) {
                int i = j;
                java.util.Arrays.fill(data, (byte) (round + i));
                failures += outcome("raf" + i, () -> {
                    rafs[i].write(data);
                    return rafs[i].getFilePointer();
                });
                failures += outcome("ch" + i, () -> channels[i].write(ByteBuffer.wrap(data)) + " at "
                        + channels[i].position());
            }
        }
        System.out.println("full after " + failures + " failed writes");
        for (int j = 0; j < n; j += 2) {
            int i = j;
            outcome("truncate raf" + i, () -> {
                rafs[i].setLength(0);
                return rafs[i].length();
            });
            outcome("truncate ch" + i, () -> channels[i].truncate(0).size());
        }
        for (int j = 0; j < n; j++) {
                int i = j;
            outcome("again raf" + i, () -> {
                rafs[i].write(data);
                return rafs[i].getFilePointer();
            });
            outcome("again ch" + i, () -> channels[i].write(ByteBuffer.wrap(data)));
        }
        for (int j = 0; j < n; j++) {
                int i = j;
            outcome("content raf" + i, () -> {
                byte[] all = new byte[(int) rafs[i].length()];
                rafs[i].seek(0);
                rafs[i].readFully(all);
                return crc(all);
            });
            outcome("content ch" + i, () -> {
                ByteBuffer all = ByteBuffer.allocate((int) channels[i].size());
                channels[i].read(all, 0);
                return crc(all.array());
            });
            rafs[i].close();
            channels[i].close();
        }
        System.out.println("done");
    }

    private interface Step {
        Object run() throws IOException;
    }

    /** Prints the outcome; returns 1 for a failure. */
    private static int outcome(String what, Step step) {
        try {
            System.out.println(what + ": " + step.run());
            return 0;
        } catch (IOException e) {
            System.out.println(what + ": " + e.getClass().getName() + ": " + e.getMessage());
            return 1;
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }
}
