package org.fdcap.it.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * Hundreds of files open (RandomAccessFiles and FileChannels), all used once so that the agent
 * suspends most of them; then another process makes four of them unreachable: {@code chmod 000},
 * {@code rm}, a replacement by {@code mv} of another file over it, and {@code mv} to another name.
 * Then every file is read to the end and written once more. Prints one line per file: its CRC, or
 * the error. Without the agent every line is a CRC (open descriptors do not care); with it the four
 * files fail with an error naming them (never the replacement's bytes) and every other line is
 * unchanged.
 *
 * <p>Usage: {@code ChangedWhileSuspended dir files}
 */
public final class ChangedWhileSuspended {
    private ChangedWhileSuspended() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        int n = Integer.parseInt(args[1]);
        Object[] handles = new Object[n];
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve("f" + i);
            byte[] data = new byte[100 + i];
            java.util.Arrays.fill(data, (byte) i);
            Files.write(p, data);
            handles[i] = i % 2 == 0 ? new RandomAccessFile(p.toFile(), "rw")
                    : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        for (int i = 0; i < n; i++) {
            read(handles[i], 10);
        }
        run("chmod", "000", dir.resolve("f1").toString());
        run("rm", dir.resolve("f2").toString());
        Files.write(dir.resolve("f3.tmp"), "new data".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        run("mv", dir.resolve("f3.tmp").toString(), dir.resolve("f3").toString());
        run("mv", dir.resolve("f4").toString(), dir.resolve("f4.away").toString());
        for (int i = 0; i < n; i++) {
            try {
                byte[] rest = read(handles[i], 1000);
                write(handles[i]);
                CRC32 c = new CRC32();
                c.update(rest);
                System.out.println("f" + i + ": " + rest.length + " bytes, crc " + c.getValue());
            } catch (IOException e) {
                System.out.println("f" + i + ": " + e.getClass().getName() + ": " + e.getMessage());
            }
        }
        for (Object h : handles) {
            try {
                ((java.io.Closeable) h).close();
            } catch (IOException e) {
                System.out.println("close: " + e.getClass().getName() + ": " + e.getMessage());
            }
        }
        System.out.println("done");
    }

    private static byte[] read(Object h, int max) throws IOException {
        if (h instanceof RandomAccessFile) {
            RandomAccessFile raf = (RandomAccessFile) h;
            byte[] b = new byte[(int) Math.min(max, raf.length() - raf.getFilePointer())];
            raf.readFully(b);
            return b;
        }
        FileChannel ch = (FileChannel) h;
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(max, ch.size() - ch.position()));
        while (b.hasRemaining() && ch.read(b) > 0) {
            // read to the end
        }
        return b.array();
    }

    private static void write(Object h) throws IOException {
        if (h instanceof RandomAccessFile) {
            ((RandomAccessFile) h).write(7);
        } else {
            ((FileChannel) h).write(ByteBuffer.wrap(new byte[] {7}));
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }
}
