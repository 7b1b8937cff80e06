package org.fdcap.examples;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The demo: a program that needs thousands of descriptors at once. It opens N files with
 * {@link RandomAccessFile}, N with {@link FileChannel#open}, and N logs written through a
 * {@link PrintWriter} over a {@link FileWriter} in append mode and read back through a
 * {@link FileInputStream} kept open on each (two descriptors a log), keeps them all open, writes a
 * record into each, goes back over all of them to read, append and re-read, verifies every byte,
 * and prints a checksum of everything it read.
 *
 * <p>Under a low RLIMIT_NOFILE it dies of "Too many open files"; under fdcap it completes with the
 * same output as without any limit.
 *
 * <p>Usage: {@code ManyFilesDemo [filesPerKind=750] [dir]}: 4 × filesPerKind descriptors at once.
 */
public final class ManyFilesDemo {
    private ManyFilesDemo() {
    }

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 750;
        Path dir = args.length > 1 ? Files.createDirectories(Path.of(args[1])) : Files.createTempDirectory("fdcap-demo");
        RandomAccessFile[] rafs = new RandomAccessFile[n];
        FileChannel[] channels = new FileChannel[n];
        PrintWriter[] logs = new PrintWriter[n];
        FileInputStream[] tails = new FileInputStream[n];
        CRC32 crc = new CRC32();
        try {
            for (int i = 0; i < n; i++) {
                File log = dir.resolve("log-" + i + ".txt").toFile();
                Files.deleteIfExists(log.toPath());
                logs[i] = new PrintWriter(new FileWriter(log, true));
                logs[i].print(new String(record("log", i, 0), StandardCharsets.US_ASCII));
                logs[i].flush();
                tails[i] = new FileInputStream(log);
                rafs[i] = new RandomAccessFile(dir.resolve("raf-" + i + ".dat").toFile(), "rw");
                rafs[i].setLength(0);
                rafs[i].write(record("raf", i, 0));
                channels[i] = FileChannel.open(dir.resolve("ch-" + i + ".dat"), StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE);
                channels[i].write(ByteBuffer.wrap(record("ch", i, 0)));
            }
            for (int round = 1; round <= 2; round++) {
                for (int i = 0; i < n; i++) {
                    // RandomAccessFile: append a record at the current offset, then read all back.
                    rafs[i].write(record("raf", i, round));
                    long end = rafs[i].getFilePointer();
                    byte[] all = new byte[(int) end];
                    rafs[i].seek(0);
                    rafs[i].readFully(all);
                    check(all, "raf", i, round, rafs[i].length());
                    crc.update(all);
                    // FileChannel: the same with relative writes and a positional read.
                    channels[i].write(ByteBuffer.wrap(record("ch", i, round)));
                    ByteBuffer buf = ByteBuffer.allocate((int) channels[i].position());
                    channels[i].read(buf, 0);
                    check(buf.array(), "ch", i, round, channels[i].size());
                    crc.update(buf.array());
                    // Streams: append a line through the writer, read what is new through the
                    // input stream, which has stayed where the last round left it.
                    logs[i].print(new String(record("log", i, round), StandardCharsets.US_ASCII));
                    logs[i].flush();
                    byte[] fresh = tails[i].readAllBytes();
                    String expected = (round == 1 ? new String(record("log", i, 0), StandardCharsets.US_ASCII) : "")
                            + new String(record("log", i, round), StandardCharsets.US_ASCII);
                    if (!expected.equals(new String(fresh, StandardCharsets.US_ASCII))) {
                        throw new IOException("content mismatch in log " + i + ": " + new String(fresh,
                                StandardCharsets.US_ASCII));
                    }
                    crc.update(fresh);
                }
            }
        } finally {
            for (int i = 0; i < n; i++) {
                if (rafs[i] != null) {
                    rafs[i].close();
                }
                if (channels[i] != null) {
                    channels[i].close();
                }
                if (logs[i] != null) {
                    logs[i].close();
                }
                if (tails[i] != null) {
                    tails[i].close();
                }
            }
            if (args.length <= 1) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        System.out.println("descriptors: " + (4 * n) + " open at once (" + n + " RandomAccessFiles, " + n
                + " FileChannels, " + n + " logs with a FileWriter and a FileInputStream each), all verified");
        System.out.printf("checksum: %08x%n", crc.getValue());
    }

    private static byte[] record(String kind, int i, int round) {
        return (kind + " file " + i + " round " + round + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static void check(byte[] content, String kind, int i, int round, long size) throws IOException {
        StringBuilder expected = new StringBuilder();
        for (int r = 0; r <= round; r++) {
            expected.append(kind).append(" file ").append(i).append(" round ").append(r).append('\n');
        }
        String actual = new String(content, StandardCharsets.US_ASCII);
        if (!actual.equals(expected.toString()) || size != content.length) {
            throw new IOException("content mismatch in " + kind + " file " + i + ": " + actual);
        }
    }
}
