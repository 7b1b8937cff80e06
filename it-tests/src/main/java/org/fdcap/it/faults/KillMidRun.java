package org.fdcap.it.faults;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes records round-robin into hundreds of files through every kind of handle (RandomAccessFile,
 * FileChannel, an unbuffered and a buffered {@code Files.newOutputStream}, a shared map), then
 * kills itself with SIGKILL at a fixed record, mid-run, with handles open and (under the agent)
 * suspended. The test compares what is on disk afterwards with the same run without the agent:
 * a kill must lose nothing more (the buffered stream loses its buffer in both).
 *
 * <p>Usage: {@code KillMidRun dir filesPerKind records killAt}
 */
public final class KillMidRun {
    private KillMidRun() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        int n = Integer.parseInt(args[1]);
        int records = Integer.parseInt(args[2]);
        int killAt = Integer.parseInt(args[3]);
        RandomAccessFile[] rafs = new RandomAccessFile[n];
        FileChannel[] channels = new FileChannel[n];
        OutputStream[] streams = new OutputStream[n];
        OutputStream[] buffered = new OutputStream[n];
        for (int i = 0; i < n; i++) {
            rafs[i] = new RandomAccessFile(dir.resolve("raf" + i).toFile(), "rw");
            channels[i] = FileChannel.open(dir.resolve("ch" + i), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            streams[i] = Files.newOutputStream(dir.resolve("out" + i));
            buffered[i] = new BufferedOutputStream(Files.newOutputStream(dir.resolve("buf" + i)), 4096);
        }
        FileChannel mapped = FileChannel.open(dir.resolve("map"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        MappedByteBuffer map = mapped.map(FileChannel.MapMode.READ_WRITE, 0, 8L * records);
        for (int r = 0; r < records; r++) {
            if (r == killAt) {
                System.out.println("killing at record " + r);
                System.out.flush();
                new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                Thread.sleep(60_000);
                throw new IllegalStateException("not killed");
            }
            int i = r % n;
            byte[] rec = record(r);
            switch (r / n % 4) {
                case 0:
                    rafs[i].write(rec);
                    break;
                case 1:
                    channels[i].write(ByteBuffer.wrap(rec));
                    break;
                case 2:
                    streams[i].write(rec);
                    break;
                default:
                    buffered[i].write(rec);
                    break;
            }
            map.putLong(r * 8, r);
        }
        System.out.println("not killed: all " + records + " records written");
    }

    /** Record r: 48 bytes saying which it is, so that a lost or torn one is visible. */
    static byte[] record(int r) {
        byte[] b = new byte[48];
        String s = String.format("record %08d of the kill test.%10d\n", r, r * 2654435761L % 1_000_000_000L);
        byte[] t = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, b, 0, Math.min(t.length, b.length));
        return b;
    }
}
