package org.fdcap.it.scenarios;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A program to watch and to attach to. Phase 1 opens {@code before} files (RandomAccessFiles and
 * FileChannels, alternately) and writes to each; phase 2 opens {@code after} more, then appends to
 * and reads back every file, the first ones included, and prints a checksum of all contents.
 *
 * <p>Usage: {@code OpsTarget workDir before after interactive|batch close|keep}. Interactive: prints
 * {@code ready} after phase 1 and {@code idle} after phase 2, each time waiting for a line on
 * stdin before going on. {@code close} closes every file at the end; {@code keep} exits with them
 * open. With two files or more, file 1 (a FileChannel) is locked from phase 1 to the end.
 */
public final class OpsTarget {
    private static java.nio.channels.FileLock lock;

    private OpsTarget() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int before = Integer.parseInt(args[1]);
        int after = Integer.parseInt(args[2]);
        boolean interactive = args[3].equals("interactive");
        boolean close = args[4].equals("close");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<Object> files = new ArrayList<>();
        open(dir, files, 0, before);
        if (before > 1) {
            // Held to the end: closing any descriptor of f1 would drop it (POSIX), so it shows whether
            // f1 was ever suspended.
            lock = ((FileChannel) files.get(1)).lock();
        }
        if (interactive) {
            System.out.println("ready");
            in.readLine();
        }
        open(dir, files, before, before + after);
        CRC32 crc = new CRC32();
        for (int i = 0; i < files.size(); i++) {
            byte[] more = ("; then " + i).getBytes(StandardCharsets.US_ASCII);
            Object f = files.get(i);
            if (f instanceof RandomAccessFile) {
                RandomAccessFile raf = (RandomAccessFile) f;
                raf.write(more);
                byte[] all = new byte[(int) raf.getFilePointer()];
                raf.seek(0);
                raf.readFully(all);
                crc.update(all);
            } else {
                FileChannel ch = (FileChannel) f;
                ch.write(ByteBuffer.wrap(more));
                ByteBuffer all = ByteBuffer.allocate((int) ch.position());
                ch.read(all, 0);
                crc.update(all.array());
            }
        }
        System.out.printf("files: %d, checksum: %08x%n", files.size(), crc.getValue());
        if (interactive) {
            System.out.println("idle");
            in.readLine();
        }
        if (close) {
            for (Object f : files) {
                ((java.io.Closeable) f).close();
            }
        }
        System.out.println("done");
    }

    private static void open(Path dir, List<Object> files, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            byte[] b = ("file " + i).getBytes(StandardCharsets.US_ASCII);
            if (i % 2 == 0) {
                RandomAccessFile raf = new RandomAccessFile(dir.resolve("f" + i).toFile(), "rw");
                raf.setLength(0);
                raf.write(b);
                files.add(raf);
            } else {
                FileChannel ch = FileChannel.open(dir.resolve("f" + i), StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE);
                ch.write(ByteBuffer.wrap(b));
                files.add(ch);
            }
        }
    }
}
