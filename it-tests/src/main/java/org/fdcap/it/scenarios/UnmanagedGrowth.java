package org.fdcap.it.scenarios;

import java.io.FileInputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Descriptors the agent does not manage (FileInputStreams, here) grow far past its reserve while
 * the program keeps opening RandomAccessFiles and FileChannels: the OS then refuses opens with
 * EMFILE before the tracker's count says so, and the agent must suspend more and retry.
 *
 * <p>Usage: {@code UnmanagedGrowth workDir unmanaged managedPerKind}
 */
public final class UnmanagedGrowth {
    private UnmanagedGrowth() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int unmanaged = Integer.parseInt(args[1]);
        int managed = Integer.parseInt(args[2]);
        RandomAccessFile[] rafs = new RandomAccessFile[managed];
        FileChannel[] chs = new FileChannel[managed];
        FileInputStream[] streams = new FileInputStream[unmanaged];
        Path source = dir.resolve("source");
        Files.write(source, new byte[] {7});
        long sum = 0;
        for (int i = 0; i < managed; i++) {
            if (i < unmanaged) {
                streams[i] = new FileInputStream(source.toFile());
            }
            rafs[i] = new RandomAccessFile(dir.resolve("r" + i).toFile(), "rw");
            rafs[i].write(i & 0x7f);
            chs[i] = FileChannel.open(dir.resolve("c" + i), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            chs[i].write(ByteBuffer.wrap(new byte[] {(byte) (i & 0x7f)}));
        }
        for (int i = 0; i < managed; i++) {
            rafs[i].seek(0);
            sum += rafs[i].read();
            ByteBuffer b = ByteBuffer.allocate(1);
            chs[i].read(b, 0);
            sum += b.get(0);
            rafs[i].close();
            chs[i].close();
        }
        for (FileInputStream s : streams) {
            sum += s.read();
            s.close();
        }
        System.out.println("sum: " + sum);
    }
}
