package org.fdcap.it.scenarios;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every operation and POSIX case the agent must keep exactly as without it, each with
 * {@link Pressure} between the steps so that the objects are suspended and restored under the
 * agent. Prints one line per check; the test compares the output with a run without the agent.
 *
 * <p>Usage: {@code PosixScenarios workDir pressureFiles}
 */
public final class PosixScenarios {
    private static Pressure pressure;
    private static Path dir;

    private PosixScenarios() {
    }

    public static void main(String[] args) throws Exception {
        dir = Scratch.fresh(args[0]);
        pressure = new Pressure(dir, Integer.parseInt(args[1]));
        rafOperations();
        seekWhileSuspended();
        channelOperations();
        fileStreams();
        transfers();
        mappedBuffersStayValid();
        appendModeKeepsAppending();
        syncModes();
        fileDescriptorEscapes();
        fileDescriptorKeptAndSyncedLater();
        validityAfterClose();
        deleteWhileOpen();
        renameWhileOpen();
        renameWhileSuspended();
        replaceByRename();
        lockedFileIsNeverSuspended();
        deleteOnClose();
        closeWhileSuspended();
        System.out.println("done");
    }

    private static void rafOperations() throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file("raf").toFile(), "rw")) {
            raf.writeUTF("hello");
            raf.writeLong(42L);
            raf.write("line one\nline two\n".getBytes(StandardCharsets.US_ASCII));
            pressure.apply();
            out("raf.getFilePointer", raf.getFilePointer());
            pressure.apply();
            out("raf.length", raf.length());
            raf.seek(0);
            pressure.apply();
            out("raf.readUTF", raf.readUTF());
            out("raf.readLong", raf.readLong());
            pressure.apply();
            out("raf.readLine", raf.readLine());
            pressure.apply();
            out("raf.skipBytes", raf.skipBytes(5));
            out("raf.read", raf.read());
            pressure.apply();
            raf.setLength(10);
            pressure.apply();
            out("raf.length after setLength", raf.length());
            out("raf.getFilePointer after setLength", raf.getFilePointer());
            out("raf.getChannel().position", raf.getChannel().position());
            pressure.apply();
            out("raf.getChannel().size", raf.getChannel().size());
            out("raf.getFD().valid", raf.getFD().valid());
        }
    }

    /**
     * A seek on a suspended RandomAccessFile only moves its saved offset; everything that shares
     * the offset (reads, the channel, a stream on getFD(), writes past the end) must see it.
     */
    private static void seekWhileSuspended() throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file("seek").toFile(), "rw")) {
            raf.write(bytes("0123456789"));
            pressure.apply();
            raf.seek(7);
            pressure.apply();
            raf.seek(3);
            out("seek: getFilePointer", raf.getFilePointer());
            out("seek: read", (char) raf.read());
            pressure.apply();
            raf.seek(8);
            out("seek: channel position", raf.getChannel().position());
            ByteBuffer two = ByteBuffer.allocate(2);
            raf.getChannel().read(two);
            out("seek: channel read", str(two));
            pressure.apply();
            raf.seek(20);
            raf.write('x');
            out("seek: length after a write past the end", raf.length());
            pressure.apply();
            raf.seek(5);
            pressure.apply();
            out("seek: stream on getFD reads at", (char) new FileInputStream(raf.getFD()).read());
            out("seek: getFilePointer after the stream", raf.getFilePointer());
            pressure.apply();
            try {
                raf.seek(-1);
                out("seek: negative", "no exception");
            } catch (IOException e) {
                out("seek: negative", e.getClass().getSimpleName() + " " + e.getMessage());
            }
            out("seek: getFilePointer after the negative seek", raf.getFilePointer());
        }
    }

    private static void channelOperations() throws IOException {
        Path p = file("channel");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes("0123456789abcdef")));
            pressure.apply();
            out("channel.position", ch.position());
            out("channel.size", ch.size());
            pressure.apply();
            ch.position(4);
            pressure.apply();
            ByteBuffer b = ByteBuffer.allocate(4);
            ch.read(b);
            out("channel.read", str(b));
            pressure.apply();
            ByteBuffer[] parts = {ByteBuffer.allocate(2), ByteBuffer.allocate(3)};
            out("channel.scatter", ch.read(parts, 0, 2) + " " + str(parts[0]) + str(parts[1]));
            pressure.apply();
            ch.write(new ByteBuffer[] {ByteBuffer.wrap(bytes("XY")), ByteBuffer.wrap(bytes("Z"))}, 0, 2);
            pressure.apply();
            ByteBuffer pos = ByteBuffer.allocate(16);
            ch.read(pos, 0);
            out("channel.gather+pread", str(pos));
            pressure.apply();
            ch.write(ByteBuffer.wrap(bytes("!!")), 14);
            ch.truncate(15);
            pressure.apply();
            ch.force(true);
            out("channel.size after truncate", ch.size());
            out("channel.position after truncate", ch.position());
        }
        try (var lines = Files.lines(p)) {
            out("Files.lines", lines.count());
        }
        out("Files.readAllBytes", new String(Files.readAllBytes(p), StandardCharsets.US_ASCII));
    }

    /**
     * The streams and readers of {@code Files}: on JDK 21+ their {@code available}, {@code skip}
     * and {@code readNBytes} (and a reader's decoder, through {@code available}) go through
     * package-private channel methods, not the public ones.
     */
    private static void fileStreams() throws IOException {
        Path p = file("streams");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append("line ").append(i).append('\n');
        }
        Files.write(p, bytes(text.toString()));
        try (InputStream in = Files.newInputStream(p)) {
            pressure.apply();
            out("stream.available", in.available());
            pressure.apply();
            out("stream.read", in.read());
            pressure.apply();
            out("stream.skip", in.skip(100));
            pressure.apply();
            out("stream.available after skip", in.available());
            pressure.apply();
            out("stream.readNBytes", new String(in.readNBytes(12), StandardCharsets.US_ASCII));
            pressure.apply();
            byte[] some = new byte[20];
            out("stream.readNBytes(b)", in.readNBytes(some, 0, 20) + " "
                    + new String(some, StandardCharsets.US_ASCII).replace('\n', '|'));
            pressure.apply();
            out("stream.skip past the end", in.skip(1_000_000));
            out("stream.available at the end", in.available());
        }
        try (BufferedReader reader = Files.newBufferedReader(p)) {
            int lines = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines++;
                if (lines % 50 == 0) {
                    pressure.apply();
                    out("reader.ready", reader.ready());
                }
            }
            out("reader lines", lines);
        }
    }

    private static void transfers() throws IOException {
        Path a = file("transfer-a");
        Path b = file("transfer-b");
        Files.write(a, bytes("transfer me please"));
        try (FileChannel src = FileChannel.open(a, StandardOpenOption.READ);
                FileChannel dst = FileChannel.open(b, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            pressure.apply();
            out("transferTo", src.transferTo(0, 8, dst));
            pressure.apply();
            out("transferFrom", dst.transferFrom(src, 8, 100));
            pressure.apply();
            ByteBuffer all = ByteBuffer.allocate(64);
            dst.read(all, 0);
            out("transferred", str(all));
        }
    }

    private static void mappedBuffersStayValid() throws IOException {
        Path p = file("mapped");
        Files.write(p, bytes("mapped content!"));
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 15);
            pressure.apply();
            m.put(0, (byte) 'M');
            m.force();
            byte[] b = new byte[15];
            m.get(0, b);
            out("mapped", new String(b, StandardCharsets.US_ASCII));
            pressure.apply();
            ByteBuffer r = ByteBuffer.allocate(15);
            ch.read(r, 0);
            out("mapped via read", str(r));
        }
    }

    private static void appendModeKeepsAppending() throws IOException {
        Path p = file("append");
        Files.write(p, bytes("start;"));
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.APPEND);
                OutputStream os = Files.newOutputStream(p, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(bytes("one;")));
            pressure.apply();
            os.write(bytes("two;"));
            pressure.apply();
            ch.write(ByteBuffer.wrap(bytes("three;")));
            pressure.apply();
            out("append position", ch.position());
        }
        out("append", new String(Files.readAllBytes(p), StandardCharsets.US_ASCII));
    }

    private static void syncModes() throws IOException {
        for (String mode : List.of("rws", "rwd")) {
            try (RandomAccessFile raf = new RandomAccessFile(file(mode).toFile(), mode)) {
                raf.write(bytes(mode + " first;"));
                pressure.apply();
                raf.write(bytes(mode + " second;"));
                pressure.apply();
                raf.getFD().sync();
                raf.seek(0);
                byte[] b = new byte[(int) raf.length()];
                raf.readFully(b);
                out(mode, new String(b, StandardCharsets.US_ASCII));
            }
        }
        try (FileChannel ch = FileChannel.open(file("dsync"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.DSYNC)) {
            ch.write(ByteBuffer.wrap(bytes("dsync;")));
            pressure.apply();
            ch.write(ByteBuffer.wrap(bytes("again;")));
            out("DSYNC size", ch.size());
            pressure.apply();
            try (FileLock held = ch.lock()) { // restores it, and keeps it open while its flags are read
                out("DSYNC flags", keptFlags(file("dsync", false)));
            }
        }
        // The flags a channel is reopened with come from its options: O_APPEND and O_DSYNC kept.
        try (FileChannel ch = FileChannel.open(file("append-dsync"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND, StandardOpenOption.DSYNC)) {
            ch.write(ByteBuffer.wrap(bytes("one;")));
            pressure.apply();
            ch.write(ByteBuffer.wrap(bytes("two;")));
            pressure.apply();
            try (FileLock held = ch.lock()) {
                out("APPEND|DSYNC flags", keptFlags(file("append-dsync", false)));
            }
            ch.write(ByteBuffer.wrap(bytes("three;")));
        }
        out("APPEND|DSYNC", new String(Files.readAllBytes(file("append-dsync", false)), StandardCharsets.US_ASCII));
    }

    /**
     * The open flags a reopen must keep (access mode, O_APPEND, O_SYNC/O_DSYNC, O_DIRECT), in
     * octal, of every descriptor open on {@code p}, from {@code /proc/self/fdinfo}: the same with
     * the agent (once restored) as without it.
     */
    private static String keptFlags(Path p) throws IOException {
        Path target = p.toAbsolutePath();
        List<String> flags = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (!Files.readSymbolicLink(fd).equals(target)) {
                        continue;
                    }
                    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo").resolve(fd.getFileName()))) {
                        if (line.startsWith("flags:")) {
                            int f = Integer.parseInt(line.substring("flags:".length()).trim(), 8);
                            flags.add(Integer.toOctalString(f & (03 | 02000 | 04010000 | 040000)));
                        }
                    }
                } catch (IOException closedMeanwhile) {
                    // the directory stream's own descriptor, or one closed since the listing
                }
            }
        }
        Collections.sort(flags);
        return flags.toString();
    }

    private static void fileDescriptorEscapes() throws IOException {
        Path p = file("escape");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(bytes("escaped descriptor"));
            FileDescriptor fd = raf.getFD();
            pressure.apply();
            out("getFD valid", fd.valid());
            raf.seek(0);
            FileInputStream in = new FileInputStream(fd);
            out("FileInputStream(fd)", new String(in.readNBytes(7), StandardCharsets.US_ASCII));
            pressure.apply();
            FileOutputStream os = new FileOutputStream(fd);
            os.write(bytes("!"));
            pressure.apply();
            out("after FileOutputStream(fd)", raf.getFilePointer() + " " + raf.length());
            fd.sync();
        }
    }

    /**
     * What databases do (Derby, HSQLDB): keep the {@code FileDescriptor} of each data file and
     * call {@code sync()} on it from time to time, the file being suspended in between.
     */
    private static void fileDescriptorKeptAndSyncedLater() throws IOException {
        Path p = file("kept");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            FileDescriptor fd = raf.getFD();
            for (int i = 0; i < 5; i++) {
                raf.write(bytes("page " + i + ";"));
                pressure.apply();
                out("kept fd valid", fd.valid());
                fd.sync();
                pressure.apply();
                raf.getFD().sync();
                out("kept fd synced", raf.getFilePointer() + " " + raf.length());
            }
        }
        out("kept file after close", new String(Files.readAllBytes(p), StandardCharsets.US_ASCII));
    }

    /**
     * {@code FileDescriptor.valid()} once the descriptor is closed: by the RandomAccessFile, and by
     * a stream built on {@code getFD()} (the JDK then closes every user of the object). The agent
     * keeps its own index in the object while it manages it; none of that may show.
     */
    private static void validityAfterClose() throws IOException {
        RandomAccessFile raf = new RandomAccessFile(file("valid-closed").toFile(), "rw");
        raf.write(bytes("closed by its owner"));
        FileDescriptor fd = raf.getFD();
        pressure.apply();
        out("valid before close", fd.valid());
        raf.close();
        out("valid after close", fd.valid());

        RandomAccessFile shared = new RandomAccessFile(file("valid-stream").toFile(), "rw");
        shared.write(bytes("closed by a stream"));
        FileDescriptor sharedFd = shared.getFD();
        pressure.apply();
        new FileInputStream(sharedFd).close();
        out("valid after a stream on getFD() closed it", sharedFd.valid());
        try {
            shared.read();
            out("read after the stream closed it", "no error");
        } catch (IOException e) {
            out("read after the stream closed it", e.getClass().getSimpleName());
        }
        shared.close();
        out("valid after the owner's close too", sharedFd.valid());
    }

    private static void deleteWhileOpen() throws IOException {
        Path p = file("deleted");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(bytes("still here"));
            Files.delete(p);
            pressure.apply();
            raf.seek(0);
            out("deleted while open", raf.readLine());
            raf.write(bytes(" and more"));
            pressure.apply();
            out("deleted length", raf.length());
        }
        out("deleted exists", Files.exists(p));
    }

    private static void renameWhileOpen() throws IOException {
        Path p = file("renamed-before");
        Path q = dir.resolve("renamed-after");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes("renamed;")));
            Files.move(p, q);
            pressure.apply();
            ch.write(ByteBuffer.wrap(bytes("written after;")));
            pressure.apply();
            out("renamed size", ch.size());
        }
        out("renamed content", new String(Files.readAllBytes(q), StandardCharsets.US_ASCII));
    }

    private static void renameWhileSuspended() throws IOException {
        File p = file("moved-before").toFile();
        File q = dir.resolve("moved-after").toFile();
        try (RandomAccessFile raf = new RandomAccessFile(p, "rw")) {
            raf.write(bytes("moved;"));
            pressure.apply();
            out("renameTo", p.renameTo(q));
            pressure.apply();
            raf.write(bytes("still mine;"));
            out("moved length", raf.length());
        }
        out("moved content", new String(Files.readAllBytes(q.toPath()), StandardCharsets.US_ASCII));
    }

    private static void replaceByRename() throws IOException {
        Path p = file("replaced");
        Files.write(p, bytes("old data"));
        try (RandomAccessFile old = new RandomAccessFile(p.toFile(), "r")) {
            out("before replace", old.readLine());
            pressure.apply();
            Path tmp = dir.resolve("replacement.tmp");
            Files.write(tmp, bytes("new data"));
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            pressure.apply();
            old.seek(0);
            out("old handle after replace", old.readLine());
            try (RandomAccessFile fresh = new RandomAccessFile(p.toFile(), "r")) {
                out("new handle after replace", fresh.readLine());
            }
        }
    }

    private static void lockedFileIsNeverSuspended() throws IOException {
        Path p = file("locked");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
                RandomAccessFile other = new RandomAccessFile(p.toFile(), "rw")) {
            FileLock lock = ch.lock();
            other.write(bytes("x"));
            pressure.apply();
            ch.write(ByteBuffer.wrap(bytes("locked;")));
            pressure.apply();
            out("lock valid", lock.isValid());
            out("lock held (per /proc/locks)", heldInProcLocks(p));
            lock.release();
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock(0, 10, false);
            pressure.apply();
            out("tryLock held (per /proc/locks)", lock != null && heldInProcLocks(p));
        }
    }

    private static void deleteOnClose() throws IOException {
        Path p = file("delete-on-close");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE)) {
            ch.write(ByteBuffer.wrap(bytes("temporary")));
            pressure.apply();
            ByteBuffer b = ByteBuffer.allocate(9);
            ch.read(b, 0);
            out("DELETE_ON_CLOSE read", str(b));
        }
        out("DELETE_ON_CLOSE exists", Files.exists(p));
    }

    private static void closeWhileSuspended() throws IOException {
        RandomAccessFile raf = new RandomAccessFile(file("close-raf").toFile(), "rw");
        FileChannel viaRaf = raf.getChannel();
        FileChannel ch = FileChannel.open(file("close-ch"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        pressure.apply();
        raf.close();
        ch.close();
        out("closed raf channel open", viaRaf.isOpen());
        out("closed channel open", ch.isOpen());
        try {
            raf.read();
            out("read after close", "no exception");
        } catch (IOException e) {
            out("read after close", e.getClass().getSimpleName());
        }
        try {
            raf.seek(1);
            out("seek after close", "no exception");
        } catch (IOException e) {
            out("seek after close", e.getClass().getSimpleName() + " " + e.getMessage());
        }
    }

    private static boolean heldInProcLocks(Path p) throws IOException {
        long inode = (Long) Files.getAttribute(p, "unix:ino");
        String pid = Long.toString(ProcessHandle.current().pid());
        for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
            String[] f = line.trim().split("\\s+");
            // 1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF
            if (f.length > 5 && f[4].equals(pid) && f[5].endsWith(":" + inode)) {
                return true;
            }
        }
        return false;
    }

    private static Path file(String name) throws IOException {
        return file(name, true);
    }

    private static Path file(String name, boolean fresh) throws IOException {
        Path p = dir.resolve(name);
        if (fresh) {
            Files.deleteIfExists(p);
        }
        return p;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String str(ByteBuffer b) {
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    private static void out(String what, Object value) {
        System.out.println(what + ": " + value);
    }
}
