package org.fdcap.it.scenarios;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import jdk.jfr.Recording;

/**
 * A JFR recording with the file I/O events starts and stops while suspended objects are in use
 * (on JDK 17 JFR retransforms RandomAccessFile and FileChannelImpl when it starts).
 *
 * <p>Usage: {@code JfrRecording workDir files}
 */
public final class JfrRecording {
    private JfrRecording() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int n = Integer.parseInt(args[1]);
        RandomAccessFile[] rafs = new RandomAccessFile[n];
        FileChannel[] chs = new FileChannel[n];
        for (int i = 0; i < n; i++) {
            rafs[i] = new RandomAccessFile(dir.resolve("r" + i).toFile(), "rw");
            rafs[i].setLength(0);
            chs[i] = FileChannel.open(dir.resolve("c" + i), StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        CRC32 crc = new CRC32();
        for (int phase = 0; phase < 3; phase++) {
            Recording rec = null;
            if (phase == 1) {
                rec = new Recording();
                rec.enable("jdk.FileRead").withoutThreshold();
                rec.enable("jdk.FileWrite").withoutThreshold();
                rec.start();
            }
            for (int i = 0; i < n; i++) {
                byte[] b = ("phase " + phase + " file " + i + ";").getBytes(StandardCharsets.US_ASCII);
                rafs[i].write(b);
                chs[i].write(ByteBuffer.wrap(b));
            }
            for (int i = 0; i < n; i++) {
                byte[] all = new byte[(int) rafs[i].length()];
                rafs[i].seek(0);
                rafs[i].readFully(all);
                crc.update(all);
                ByteBuffer cb = ByteBuffer.allocate((int) chs[i].size());
                chs[i].read(cb, 0);
                crc.update(cb.array());
            }
            if (rec != null) {
                rec.stop();
                rec.close();
            }
        }
        for (int i = 0; i < n; i++) {
            rafs[i].close();
            chs[i].close();
        }
        System.out.printf("checksum: %08x%n", crc.getValue());
    }
}
