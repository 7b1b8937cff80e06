package org.fdcap.it.fuzz;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * One worker of the differential fuzzer: a seeded random program over its own files
 * ({@code f0..fN} in its own directory) and a table of handles kept open between operations
 * (RandomAccessFiles in every mode, half of them a subclass overriding every method, FileChannels
 * and byte channels with every option set, the streams and readers of {@code Files}, and
 * FileInputStreams and FileOutputStreams, truncating and appending, opened on a path). Every
 * outcome goes into a digest: return values, CRCs of the bytes read, positions, sizes, and the
 * class of every exception.
 *
 * <p>Operations: every read/write variant (single byte, arrays, data types, positional, scatter,
 * gather, heap and direct buffers), seek/position/getFilePointer, length/size, setLength/truncate
 * (also through another handle on the same file), append, force, sync, transferTo/From between
 * handles, maps (read-only, read-write, private), {@code Files} whole-file APIs and short-lived
 * FileInputStream/FileOutputStream, use after close, bad arguments; on the path streams also skip
 * (backwards and past the end), available, readAllBytes, {@code getFD()}, every channel operation
 * on {@code getChannel()} (the stream's own position), transfers between that channel and another
 * handle's, and close through the channel; and "episodes" on scratch
 * files for what pins a descriptor for good under the agent: locks, {@code getFD()} shared with
 * streams, delete, rename and replace (by rename and by copy) while open, then more operations
 * (so that the handles are suspended and restored through the new name, the unlinked-file pool
 * or the anchor); and episodes on the worker's own files, renamed, deleted or replaced while any
 * number of slots hold them and the other operations go on.
 *
 * <p>Bounded so that a cap of 3 descriptors per worker is enough: an operation pins at most two
 * handles, and an episode holds at most one descriptor for a lasting reason (a lock, the anchor
 * of one deleted file) while other operations run. Files stay under about 20 KiB.
 */
final class FuzzWorker implements Runnable {
    private static final int MAX_POS = 16_384;
    private static final int MAX_LEN = 2_048;
    private static final Set<? extends OpenOption>[] CHANNEL_OPTIONS = optionSets();

    private final Path dir;
    /** The program's generator; {@link #withGenerator} lends its place to {@link #streaming}. */
    private Random r;
    /**
     * Which RandomAccessFiles are {@link OverridingRandomAccessFile}s: a generator of its own,
     * seeded from the worker's seed, so that every seed runs the operations it ran before the
     * subclass was added (its replay lines stay valid) and only the class of some handles changes.
     */
    private final Random subclassing;
    /**
     * Which of the {@code Files} streams are path streams ({@code new FileInputStream(path)},
     * {@code new FileOutputStream(path[, append])}) instead, and what is done with them besides
     * what is done with any stream: a generator of its own, as {@link #subclassing}, so that a
     * seed runs the operations it ran before they were added until a path stream first does what
     * the {@code Files} stream would not have done (an append open of a missing file succeeds, a
     * close through the channel).
     */
    private final Random streaming;
    private final int ops;
    private final boolean trace;
    private final StringBuilder log = new StringBuilder();
    private final int files;
    private final Object[] slots;
    private final boolean[] closed;
    /** The file each slot was opened on (its index; -1 for "missing"), for the name-change episodes. */
    private final int[] slotFile;
    private final MessageDigest md = DifferentialFuzzer.sha256();
    private int step;
    private int episodes;
    private volatile Throwable failure;

    FuzzWorker(Path dir, long seed, int ops, int handles, boolean trace) {
        this.dir = dir;
        this.r = new Random(seed);
        this.subclassing = new Random(~seed);
        this.streaming = new Random(seed * 31 + 21);
        this.ops = ops;
        this.trace = trace;
        this.slots = new Object[handles];
        this.closed = new boolean[handles];
        this.slotFile = new int[handles];
        this.files = Math.max(4, handles / 4);
    }

    Path dir() {
        return dir;
    }

    byte[] digest() {
        return md.digest();
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void run() {
        try {
            for (int f = 0; f < files; f++) {
                Files.write(file(f), bytes(r.nextInt(8_192)));
            }
            for (step = 0; step < ops; step++) {
                int p = r.nextInt(100);
                if (p < 70) {
                    slotOperation();
                } else if (p < 86) {
                    wholeFileOperation();
                } else if (p < 97) {
                    transfer();
                } else {
                    episode();
                }
            }
            for (int s = 0; s < slots.length; s++) {
                if (slots[s] != null && !closed[s]) {
                    int slot = s;
                    op("final close " + s, () -> {
                        close(slot);
                        return "ok";
                    });
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    // ---- recording ----

    /** An operation whose outcome is recorded. */
    private interface Op {
        Object run() throws Exception;
    }

    private void op(String name, Op op) {
        String outcome;
        try {
            outcome = "= " + op.run();
        } catch (Throwable t) {
            outcome = "! " + t.getClass().getName();
            if (t.getClass().getName().startsWith("org.fdcap.")) {
                // Only the agent throws these: say where, for the replay.
                System.err.println("fuzz: " + Thread.currentThread().getName() + " step " + step + " " + name + ": " + t);
            }
        }
        record(name + " " + outcome);
    }

    private void record(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(b);
        md.update((byte) '\n');
        if (trace) {
            // Kept until the seed ends: printing here would make the workers take turns.
            log.append("  [").append(Thread.currentThread().getName()).append(' ').append(step).append("] ").append(s)
                    .append('\n');
        }
    }

    /** What {@code trace} recorded, one line per outcome (empty without trace). */
    String log() {
        return log.toString();
    }

    // ---- handles ----

    private void slotOperation() throws Exception {
        int s = r.nextInt(slots.length);
        if (slots[s] == null || (closed[s] && r.nextInt(4) != 0)) {
            open(s);
        } else if (!closed[s] && r.nextInt(40) == 0) {
            op("close " + s, () -> {
                close(s);
                return "ok";
            });
        } else {
            use(s, slots[s]);
        }
    }

    private void open(int s) {
        if (slots[s] != null && !closed[s]) {
            op("close before reopen " + s, () -> {
                close(s);
                return "ok";
            });
        }
        slots[s] = null;
        closed[s] = false;
        int f = r.nextInt(files);
        boolean missing = r.nextInt(60) == 0;
        Path path = missing ? dir.resolve("missing") : file(f);
        slotFile[s] = missing ? -1 : f;
        int kind = r.nextInt(7);
        String name = "open " + s + " " + path.getFileName() + " kind " + kind;
        switch (kind) {
            case 0:
            case 1: {
                String mode = new String[] {"r", "rw", "rws", "rwd"}[r.nextInt(4)];
                boolean subclass = subclassing.nextBoolean();
                File target = path.toFile();
                op(name + (subclass ? " overriding raf " : " raf ") + mode, () -> opened(s, subclass
                        ? new OverridingRandomAccessFile(target, mode) : new RandomAccessFile(target, mode)));
                break;
            }
            case 2:
            case 3: {
                int set = r.nextInt(CHANNEL_OPTIONS.length);
                boolean byteChannel = kind == 3;
                op(name + " channel " + set, () -> opened(s, byteChannel
                        ? (FileChannel) Files.newByteChannel(path, CHANNEL_OPTIONS[set])
                        : FileChannel.open(path, CHANNEL_OPTIONS[set])));
                break;
            }
            case 4:
                if (streaming.nextBoolean()) {
                    boolean byName = streaming.nextBoolean();
                    op(name + " file input stream", () -> opened(s, byName ? new FileInputStream(path.toString())
                            : new FileInputStream(path.toFile())));
                } else {
                    op(name + " input stream", () -> opened(s, Files.newInputStream(path)));
                }
                break;
            case 5: {
                int how = r.nextInt(3);
                if (how < 2 && streaming.nextBoolean()) {
                    // truncating, or appending (and creating a missing file, which Files' APPEND does not)
                    boolean append = how == 1;
                    op(name + " file output stream " + how, () -> opened(s, append || streaming.nextBoolean()
                            ? new FileOutputStream(path.toFile(), append) : new FileOutputStream(path.toString())));
                } else {
                    op(name + " output stream " + how, () -> opened(s, how == 0 ? Files.newOutputStream(path)
                            : how == 1 ? Files.newOutputStream(path, StandardOpenOption.APPEND)
                            : Files.newOutputStream(path, StandardOpenOption.WRITE)));
                }
                break;
            }
            default:
                op(name + " reader", () -> opened(s, Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)));
                break;
        }
        if (slots[s] == null) {
            closed[s] = false; // the open failed (recorded); the slot stays empty
        }
    }

    /** Puts a new handle in slot {@code s}; records no object (its toString has an identity hash). */
    private String opened(int s, Closeable handle) {
        slots[s] = handle;
        return "opened";
    }

    private void close(int s) throws Exception {
        closed[s] = true;
        ((Closeable) slots[s]).close();
    }

    private void use(int s, Object h) throws Exception {
        String who = s + (closed[s] ? " (closed)" : "");
        if (h instanceof RandomAccessFile) {
            RandomAccessFile raf = (RandomAccessFile) h;
            if (r.nextInt(4) == 0) {
                channelOperation(raf.getChannel(), "raf-channel " + who);
            } else {
                rafOperation(raf, "raf " + who);
            }
        } else if (h instanceof FileChannel) {
            channelOperation((FileChannel) h, "channel " + who);
        } else if (h instanceof FileInputStream) {
            inputOperation((InputStream) h, "fis " + who);
            if (streaming.nextBoolean()) {
                pathStreamOperation(s, (FileInputStream) h, "fis " + who);
            }
        } else if (h instanceof FileOutputStream) {
            outputOperation((OutputStream) h, "fos " + who);
            if (streaming.nextBoolean()) {
                pathStreamOperation(s, (FileOutputStream) h, "fos " + who);
            }
        } else if (h instanceof InputStream) {
            inputOperation((InputStream) h, "in " + who);
        } else if (h instanceof OutputStream) {
            outputOperation((OutputStream) h, "out " + who);
        } else {
            readerOperation((BufferedReader) h, "reader " + who);
        }
    }

    private void rafOperation(RandomAccessFile raf, String who) {
        int k = r.nextInt(16);
        int len = r.nextInt(MAX_LEN);
        long pos = position();
        byte[] data = bytes(len);
        switch (k) {
            case 0:
                op(who + " read()", raf::read);
                break;
            case 1:
                op(who + " read(b," + len + ")", () -> {
                    byte[] b = new byte[len + 8];
                    int n = raf.read(b, 8, len);
                    return n + " crc " + crc(b, 8, Math.max(n, 0));
                });
                break;
            case 2:
                op(who + " readFully " + len, () -> {
                    byte[] b = new byte[len];
                    raf.readFully(b);
                    return crc(b, 0, len);
                });
                break;
            case 3: {
                int t = r.nextInt(5);
                op(who + " read type " + t, () -> t == 0 ? raf.readInt() : t == 1 ? raf.readLong()
                        : t == 2 ? raf.readShort() : t == 3 ? raf.readLine() : raf.readUTF());
                break;
            }
            case 4:
                op(who + " write(int)", () -> {
                    raf.write(data.length);
                    return "ok";
                });
                break;
            case 5:
                op(who + " write(b," + len + ")", () -> {
                    raf.write(data, 0, len);
                    return "ok";
                });
                break;
            case 6: {
                int t = r.nextInt(3);
                long v = r.nextLong();
                op(who + " write type " + t, () -> {
                    if (t == 0) {
                        raf.writeInt((int) v);
                    } else if (t == 1) {
                        raf.writeLong(v);
                    } else {
                        raf.writeUTF(Long.toString(v, 36));
                    }
                    return "ok";
                });
                break;
            }
            case 7:
            case 8:
                op(who + " seek " + pos, () -> {
                    raf.seek(pos);
                    return "ok";
                });
                break;
            case 9:
                op(who + " getFilePointer", raf::getFilePointer);
                break;
            case 10:
                op(who + " length", raf::length);
                break;
            case 11:
                op(who + " setLength " + pos, () -> {
                    raf.setLength(pos);
                    return raf.getFilePointer();
                });
                break;
            case 12:
                op(who + " skipBytes " + len, () -> raf.skipBytes(len));
                break;
            case 13:
                op(who + " readByte/Boolean", () -> raf.readByte() + "/" + raf.readBoolean());
                break;
            case 14:
                op(who + " write(b)", () -> {
                    raf.write(data);
                    return raf.getFilePointer();
                });
                break;
            default:
                op(who + " getFD().sync()", () -> {
                    java.io.FileDescriptor fd = raf.getFD();
                    fd.sync();
                    return fd.valid() + " " + raf.getFilePointer();
                });
                break;
        }
    }

    private void channelOperation(FileChannel ch, String who) {
        int k = r.nextInt(15);
        int len = r.nextInt(MAX_LEN);
        long pos = position();
        switch (k) {
            case 0:
                op(who + " read(bb " + len + ")", () -> {
                    ByteBuffer b = buffer(len);
                    int n = ch.read(b);
                    return n + " crc " + crc(b);
                });
                break;
            case 1:
                op(who + " read(bb " + len + ", " + pos + ")", () -> {
                    ByteBuffer b = buffer(len);
                    int n = ch.read(b, pos);
                    return n + " crc " + crc(b);
                });
                break;
            case 2: {
                ByteBuffer[] bs = buffers();
                int off = r.nextInt(bs.length);
                int n = r.nextInt(bs.length - off + 1);
                boolean whole = r.nextBoolean();
                op(who + " scatter " + bs.length + " " + off + " " + n + " " + whole, () -> {
                    long got = whole ? ch.read(bs) : ch.read(bs, off, n);
                    StringBuilder sb = new StringBuilder().append(got);
                    for (ByteBuffer b : bs) {
                        sb.append(' ').append(crc(b));
                    }
                    return sb;
                });
                break;
            }
            case 3:
                op(who + " write(bb " + len + ")", () -> ch.write(filled(len)));
                break;
            case 4:
                op(who + " write(bb " + len + ", " + pos + ")", () -> ch.write(filled(len), pos));
                break;
            case 5: {
                int count = 1 + r.nextInt(4);
                ByteBuffer[] bs = new ByteBuffer[count];
                for (int i = 0; i < count; i++) {
                    bs[i] = filled(r.nextInt(MAX_LEN / 2));
                }
                op(who + " gather " + count, () -> ch.write(bs));
                break;
            }
            case 6:
                op(who + " position()", ch::position);
                break;
            case 7:
                op(who + " position(" + pos + ")", () -> ch.position(pos).position());
                break;
            case 8:
                op(who + " size()", ch::size);
                break;
            case 9:
                op(who + " truncate(" + pos + ")", () -> ch.truncate(pos).size() + " at " + ch.position());
                break;
            case 10: {
                boolean meta = r.nextBoolean();
                op(who + " force(" + meta + ")", () -> {
                    ch.force(meta);
                    return "ok";
                });
                break;
            }
            case 11:
            case 12:
                map(ch, who, pos, len);
                break;
            case 13:
                op(who + " isOpen", ch::isOpen);
                break;
            default:
                op(who + " size+position", () -> ch.size() + "/" + ch.position());
                break;
        }
    }

    /** A map used and dropped at once: nothing touches it after the file may have shrunk. */
    private void map(FileChannel ch, String who, long pos, int len) {
        int m = r.nextInt(3);
        FileChannel.MapMode mode = m == 0 ? FileChannel.MapMode.READ_ONLY
                : m == 1 ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.PRIVATE;
        byte[] data = bytes(Math.min(len, 64));
        op(who + " map " + mode + " " + pos + " " + len, () -> {
            MappedByteBuffer b = ch.map(mode, pos, len);
            if (mode != FileChannel.MapMode.READ_ONLY && len > 0) {
                b.put(data, 0, Math.min(data.length, len));
                if (mode == FileChannel.MapMode.READ_WRITE) {
                    b.force();
                }
            }
            return crcAll(b) + " size " + ch.size();
        });
    }

    private void inputOperation(InputStream in, String who) {
        int k = r.nextInt(5);
        int len = r.nextInt(MAX_LEN);
        switch (k) {
            case 0:
                op(who + " read()", in::read);
                break;
            case 1:
                op(who + " read(b " + len + ")", () -> {
                    byte[] b = new byte[len];
                    int n = in.read(b, 0, len);
                    return n + " crc " + crc(b, 0, Math.max(n, 0));
                });
                break;
            case 2:
                op(who + " skip " + len, () -> in.skip(len));
                break;
            case 3:
                op(who + " available", in::available);
                break;
            default:
                op(who + " readNBytes " + len, () -> crc(in.readNBytes(len)));
                break;
        }
    }

    private void outputOperation(OutputStream out, String who) {
        int k = r.nextInt(3);
        int len = r.nextInt(MAX_LEN);
        byte[] data = bytes(len);
        op(who + " " + k + " " + len, () -> {
            if (k == 0) {
                out.write(len);
            } else if (k == 1) {
                out.write(data);
            } else {
                out.flush();
            }
            return "ok";
        });
    }

    /**
     * What only a path stream has, drawn from {@link #streaming}: skip (also backwards, and past
     * the end), available, readAllBytes and getFD for an input stream; write(b, off, len),
     * getFD().sync() for an output stream; for both, any channel operation on getChannel() (the
     * stream's own descriptor and position), a transfer between that channel and another slot's
     * handle, and close through the channel. Pins at most two handles, as a transfer does.
     */
    private void pathStreamOperation(int s, Closeable stream, String who) {
        FileInputStream in = stream instanceof FileInputStream ? (FileInputStream) stream : null;
        FileOutputStream out = in == null ? (FileOutputStream) stream : null;
        int k = streaming.nextInt(12);
        int len = streaming.nextInt(MAX_LEN);
        switch (k) {
            case 0:
            case 1:
            case 2:
            case 3:
                withGenerator(streaming, () -> channelOperation(channelOfStream(stream), who + " channel"));
                break;
            case 4:
                if (in != null) {
                    long n = streaming.nextInt(4) == 0 ? -len : streaming.nextInt(8) == 0 ? MAX_POS + len : len;
                    op(who + " skip " + n, () -> in.skip(n) + " then available " + in.available());
                } else {
                    byte[] data = bytes(streaming, len + 16);
                    int off = streaming.nextInt(16);
                    op(who + " write(b," + off + "," + len + ")", () -> {
                        out.write(data, off, len);
                        return out.getChannel().position();
                    });
                }
                break;
            case 5:
                op(who + " available or sync", () -> {
                    if (in != null) {
                        return in.available();
                    }
                    out.getFD().sync();
                    return "synced at " + out.getChannel().position();
                });
                break;
            case 6:
                if (in != null) {
                    op(who + " readAllBytes", () -> crc(in.readAllBytes()) + " at " + in.getChannel().position());
                } else {
                    long pos = streaming.nextInt(MAX_POS);
                    byte[] data = bytes(streaming, len);
                    op(who + " position(" + pos + ") then write " + len, () -> {
                        out.getChannel().position(pos);
                        out.write(data);
                        return out.getChannel().position() + " size " + out.getChannel().size();
                    });
                }
                break;
            case 7:
                op(who + " getFD", () -> {
                    FileDescriptor fd = in != null ? in.getFD() : out.getFD();
                    return fd.valid() + " at " + channelOfStream(stream).position();
                });
                break;
            case 8:
            case 9: {
                int other = streaming.nextInt(slots.length);
                long pos = streaming.nextInt(MAX_POS);
                long count = streaming.nextInt(2 * MAX_LEN);
                FileChannel mine = channelOfStream(stream);
                FileChannel theirs = anyChannelOf(other);
                if (theirs == null) {
                    record(who + " no transfer with " + other);
                } else if (k == 8) {
                    op(who + " transferTo " + other + " " + pos + " " + count, () -> mine.transferTo(pos, count,
                            theirs) + " at " + theirs.position() + "/" + mine.position());
                } else {
                    op(who + " transferFrom " + other + " " + pos + " " + count, () -> mine.transferFrom(theirs, pos,
                            count) + " at " + mine.position() + "/" + theirs.position());
                }
                break;
            }
            case 10:
                if (streaming.nextInt(3) != 0) {
                    op(who + " channel size", () -> channelOfStream(stream).size());
                    break;
                }
                op(who + " close through the channel", () -> {
                    closed[s] = true;
                    FileChannel ch = channelOfStream(stream);
                    ch.close();
                    return ch.isOpen() + " " + (in != null ? in.available() : "");
                });
                break;
            default:
                op(who + " channel position and size", () -> channelOfStream(stream).position() + "/"
                        + channelOfStream(stream).size());
                break;
        }
    }

    private static FileChannel channelOfStream(Closeable stream) {
        return stream instanceof FileInputStream ? ((FileInputStream) stream).getChannel()
                : ((FileOutputStream) stream).getChannel();
    }

    /** The channel of a slot's RandomAccessFile, FileChannel or path stream; null for other kinds. */
    private FileChannel anyChannelOf(int s) {
        Object h = slots[s];
        return h instanceof FileInputStream || h instanceof FileOutputStream ? channelOfStream((Closeable) h)
                : channelOf(s);
    }

    /**
     * Runs {@code body} with {@code g} in place of the program's generator: operations written
     * for {@link #r} then draw from {@code g}, and leave {@link #r}'s sequence as it was.
     */
    private void withGenerator(Random g, Runnable body) {
        Random saved = r;
        r = g;
        try {
            body.run();
        } finally {
            r = saved;
        }
    }

    private void readerOperation(BufferedReader reader, String who) {
        int k = r.nextInt(4);
        int len = r.nextInt(MAX_LEN);
        switch (k) {
            case 0:
                op(who + " readLine", () -> {
                    String line = reader.readLine();
                    return line == null ? "null" : line.length() + " crc " + crc(line.getBytes(StandardCharsets.ISO_8859_1));
                });
                break;
            case 1:
                op(who + " read(c " + len + ")", () -> {
                    char[] c = new char[len];
                    int n = reader.read(c);
                    return n + " crc " + (n < 0 ? 0 : crc(new String(c, 0, n).getBytes(StandardCharsets.ISO_8859_1)));
                });
                break;
            case 2:
                op(who + " skip " + len, () -> reader.skip(len));
                break;
            default:
                op(who + " ready", reader::ready);
                break;
        }
    }

    // ---- operations on two handles, or on whole files ----

    private void transfer() {
        int a = r.nextInt(slots.length);
        int b = r.nextInt(slots.length);
        FileChannel from = channelOf(a);
        FileChannel to = channelOf(b);
        if (from == null || to == null) {
            return;
        }
        long pos = position();
        long count = r.nextInt(2 * MAX_LEN);
        if (r.nextBoolean()) {
            op("transferTo " + a + " -> " + b + " " + pos + " " + count, () -> from.transferTo(pos, count, to)
                    + " at " + to.position());
        } else {
            op("transferFrom " + a + " -> " + b + " " + pos + " " + count, () -> to.transferFrom(from, pos, count)
                    + " at " + from.position());
        }
    }

    private FileChannel channelOf(int s) {
        Object h = slots[s];
        if (h instanceof RandomAccessFile) {
            return ((RandomAccessFile) h).getChannel();
        }
        return h instanceof FileChannel ? (FileChannel) h : null;
    }

    private void wholeFileOperation() {
        int f = r.nextInt(files);
        Path path = file(f);
        String who = path.getFileName().toString();
        int k = r.nextInt(9);
        int len = r.nextInt(MAX_LEN);
        byte[] data = bytes(len);
        switch (k) {
            case 0:
                op("readAllBytes " + who, () -> crc(Files.readAllBytes(path)));
                break;
            case 1:
                op("Files.write " + who + " " + len, () -> Files.write(path, data).getFileName());
                break;
            case 2:
                op("Files.write append " + who + " " + len,
                        () -> Files.size(Files.write(path, data, StandardOpenOption.APPEND)));
                break;
            case 3:
                op("Files.size " + who, () -> Files.size(path));
                break;
            case 4:
                op("Files.lines " + who, () -> {
                    try (Stream<String> lines = Files.lines(path, StandardCharsets.ISO_8859_1)) {
                        return lines.mapToInt(String::length).sum();
                    }
                });
                break;
            case 5:
                op("FileInputStream " + who + " " + len, () -> {
                    try (FileInputStream in = new FileInputStream(path.toFile())) {
                        in.skip(len);
                        return crc(in.readNBytes(len));
                    }
                });
                break;
            case 6: {
                boolean append = r.nextBoolean();
                op("FileOutputStream " + who + " " + append + " " + len, () -> {
                    try (FileOutputStream out = new FileOutputStream(path.toFile(), append)) {
                        out.write(data);
                        out.getChannel().force(true);
                    }
                    return Files.size(path);
                });
                break;
            }
            case 7: {
                long pos = position();
                op("newByteChannel " + who + " " + pos, () -> {
                    try (SeekableByteChannel ch = Files.newByteChannel(path, StandardOpenOption.READ)) {
                        ByteBuffer b = ByteBuffer.allocate(len);
                        ch.position(pos);
                        return ch.read(b) + " crc " + crc(b);
                    }
                });
                break;
            }
            default:
                op("newBufferedWriter+copy " + who, () -> {
                    Path copy = dir.resolve("copy");
                    Files.copy(path, copy, StandardCopyOption.REPLACE_EXISTING);
                    long size = Files.size(copy);
                    Files.delete(copy);
                    return size;
                });
                break;
        }
    }

    // ---- episodes: what pins descriptors for good, on scratch files ----

    private void episode() throws Exception {
        int e = episodes++;
        Path s = dir.resolve("s" + e);
        Files.write(s, bytes(1 + r.nextInt(4_096)));
        int kind = r.nextInt(6);
        record("episode " + e + " kind " + kind);
        switch (kind) {
            case 5:
                ownFileChanged();
                break;
            case 0:
                deleteWhileOpen(s);
                break;
            case 1:
                renameWhileOpen(s);
                break;
            case 2:
                replaceWhileOpen(s);
                break;
            case 3:
                sharedDescriptor(s);
                break;
            default:
                locked(s);
                break;
        }
        Files.deleteIfExists(s);
    }

    /** A few ordinary operations, so that the episode's handles are suspended under a tiny cap. */
    private void pressure() throws Exception {
        for (int i = 0, n = 2 + r.nextInt(6); i < n; i++) {
            slotOperation();
        }
    }

    private void deleteWhileOpen(Path s) throws Exception {
        try (RandomAccessFile a = raf(s, "rw");
                FileChannel b = FileChannel.open(s, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            a.seek(r.nextInt(100));
            pressure();
            int how = r.nextInt(3);
            op("delete " + how, () -> how == 0 ? s.toFile().delete()
                    : how == 1 ? Files.deleteIfExists(s) : del(s));
            op("exists", () -> Files.exists(s));
            pressure(); // the deleted file's handles are suspended and restored through its anchor
            episodeIo(a, b);
        }
    }

    /** An episode's RandomAccessFile: half of them the overriding subclass. */
    private RandomAccessFile raf(Path p, String mode) throws FileNotFoundException {
        return subclassing.nextBoolean() ? new OverridingRandomAccessFile(p.toFile(), mode)
                : new RandomAccessFile(p.toFile(), mode);
    }

    private static boolean del(Path p) throws Exception {
        Files.delete(p);
        return true;
    }

    private void renameWhileOpen(Path s) throws Exception {
        Path t = s.resolveSibling(s.getFileName() + ".moved");
        try (RandomAccessFile a = raf(s, "rw")) {
            FileChannel b = FileChannel.open(s, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                a.seek(r.nextInt(100));
                pressure();
                int how = r.nextInt(3);
                op("rename " + how, () -> how == 0 ? s.toFile().renameTo(t.toFile())
                        : how == 1 ? Files.move(s, t).getFileName() : Files.move(s, t, StandardCopyOption.ATOMIC_MOVE)
                        .getFileName());
                pressure(); // restored by the new name
                episodeIo(a, b);
            } finally {
                b.close();
            }
            op("open renamed", () -> {
                long crc = crc(Files.readAllBytes(t));
                try (RandomAccessFile c = new RandomAccessFile(t.toFile(), "r")) {
                    return c.length() + " crc " + crc;
                }
            });
            episodeIo(a, null);
        } finally {
            Files.deleteIfExists(t);
        }
    }

    private void replaceWhileOpen(Path s) throws Exception {
        Path n = s.resolveSibling(s.getFileName() + ".new");
        try (RandomAccessFile a = raf(s, r.nextBoolean() ? "r" : "rw")) {
            a.seek(r.nextInt(100));
            pressure();
            Files.write(n, bytes(1 + r.nextInt(4_096)));
            int how = r.nextInt(3);
            op("replace " + how, () -> how == 0 ? n.toFile().renameTo(s.toFile())
                    : how == 1 ? Files.move(n, s, StandardCopyOption.REPLACE_EXISTING).getFileName()
                    : Files.copy(n, s, StandardCopyOption.REPLACE_EXISTING).getFileName());
            pressure(); // the old file's handle is restored through its anchor, never onto the new file
            op("old handle", () -> a.length() + " " + a.getFilePointer() + " " + a.read());
            op("new file", () -> {
                try (RandomAccessFile c = new RandomAccessFile(s.toFile(), "r")) {
                    return c.length() + " " + c.read();
                }
            });
            op("old handle again", () -> {
                a.seek(0);
                byte[] b = new byte[(int) Math.min(a.length(), 8_192)];
                a.readFully(b);
                return crc(b);
            });
        } finally {
            Files.deleteIfExists(n);
        }
    }

    /**
     * One of the worker's own files renamed away and back, deleted, or replaced, while any number
     * of slots hold it and ordinary operations go on (some of them open it again, under its new
     * name or none). The slots that held the old file are then closed, so that a worker never keeps
     * more than one deleted file (one anchor) at a time, and the file is written anew.
     */
    private void ownFileChanged() throws Exception {
        int f = r.nextInt(files);
        Path p = file(f);
        List<Integer> holding = new java.util.ArrayList<>();
        for (int s = 0; s < slots.length; s++) {
            if (slots[s] != null && !closed[s] && slotFile[s] == f) {
                holding.add(s);
            }
        }
        int how = r.nextInt(3);
        record("own file " + f + " held by " + holding.size() + " how " + how);
        if (how == 0) {
            Path away = p.resolveSibling(p.getFileName() + ".away");
            op("rename away", () -> r.nextBoolean() ? p.toFile().renameTo(away.toFile()) : Files.move(p, away).getFileName());
            pressure();
            op("rename back", () -> Files.move(away, p, StandardCopyOption.REPLACE_EXISTING).getFileName());
            pressure();
            return; // the same file, under its own name again: nothing to close
        }
        if (how == 1) {
            op("delete own", () -> r.nextBoolean() ? p.toFile().delete() : Files.deleteIfExists(p));
        } else {
            Path n = p.resolveSibling(p.getFileName() + ".new");
            Files.write(n, bytes(1 + r.nextInt(4_096)));
            op("replace own", () -> Files.move(n, p, StandardCopyOption.REPLACE_EXISTING).getFileName());
        }
        pressure();
        for (int s : holding) {
            if (slotFile[s] == f && !closed[s]) {
                use(s, slots[s]);
                int slot = s;
                op("close old " + s, () -> {
                    close(slot);
                    return "ok";
                });
            }
        }
        if (!Files.exists(p)) {
            Files.write(p, bytes(r.nextInt(8_192)));
        }
    }

    private void sharedDescriptor(Path s) throws Exception {
        FileDescriptor fd;
        try (RandomAccessFile a = raf(s, "rw")) {
            a.seek(r.nextInt(100));
            pressure();
            fd = a.getFD();
            FileDescriptor shared = fd;
            byte[] data = bytes(1 + r.nextInt(200));
            op("fd valid", shared::valid);
            op("fd input", () -> {
                FileInputStream in = new FileInputStream(shared);
                return in.read() + " " + crc(in.readNBytes(50)) + " at " + a.getFilePointer();
            });
            op("fd output", () -> {
                FileOutputStream out = new FileOutputStream(shared);
                out.write(data);
                return a.getFilePointer();
            });
            op("fd sync", () -> {
                shared.sync();
                return a.length();
            });
            op("fd channel", () -> new FileInputStream(shared).getChannel().size());
        }
        FileDescriptor after = fd;
        op("fd valid after close", after::valid);
        op("fd read after close", () -> new FileInputStream(after).read());
    }

    private void locked(Path s) throws Exception {
        try (FileChannel l = FileChannel.open(s, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            l.position(r.nextInt(100));
            pressure();
            boolean shared = r.nextBoolean();
            boolean tryLock = r.nextBoolean();
            long pos = r.nextInt(100);
            FileLock[] held = new FileLock[1];
            op("lock " + shared + " " + tryLock, () -> {
                held[0] = tryLock ? l.tryLock(pos, 100, shared) : l.lock(pos, 100, shared);
                return held[0] == null ? "null" : held[0].isShared() + " " + held[0].isValid();
            });
            pressure(); // the locked file's descriptor stays open meanwhile
            op("overlapping", () -> l.tryLock(pos + 50, 10, shared));
            op("locked io", () -> l.write(filled(100), pos) + " " + l.size());
            op("release", () -> {
                if (held[0] != null) {
                    held[0].release();
                    return held[0].isValid();
                }
                return "none";
            });
        }
    }

    /** Reads, writes, positions and sizes through the episode's handles. */
    private void episodeIo(RandomAccessFile a, FileChannel b) {
        op("raf io", () -> {
            long p = a.getFilePointer();
            int c = a.read();
            a.write(bytes(10));
            return p + " " + c + " " + a.length() + " " + a.getFilePointer();
        });
        if (b != null) {
            op("channel io", () -> b.write(filled(30), 5) + " " + b.size() + " " + b.position());
            op("channel read", () -> {
                ByteBuffer bb = ByteBuffer.allocate(200);
                return b.read(bb, 0) + " crc " + crc(bb);
            });
        }
        op("raf setLength", () -> {
            a.setLength(a.length() / 2);
            return a.length() + " " + a.getFilePointer();
        });
    }

    // ---- data ----

    private Path file(int f) {
        return dir.resolve("f" + f);
    }

    /** A position, now and then a bad (negative) one. */
    private long position() {
        return r.nextInt(200) == 0 ? -1 : r.nextInt(MAX_POS);
    }

    private byte[] bytes(int n) {
        return bytes(r, n);
    }

    private static byte[] bytes(Random g, int n) {
        byte[] b = new byte[n];
        g.nextBytes(b);
        return b;
    }

    private ByteBuffer buffer(int n) {
        return r.nextBoolean() ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
    }

    private ByteBuffer filled(int n) {
        ByteBuffer b = buffer(n);
        b.put(bytes(n));
        b.flip();
        return b;
    }

    private ByteBuffer[] buffers() {
        ByteBuffer[] bs = new ByteBuffer[1 + r.nextInt(4)];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = buffer(r.nextInt(MAX_LEN / 2));
        }
        return bs;
    }

    private static long crc(byte[] b) {
        return crc(b, 0, b.length);
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    /** CRC of the bytes before the buffer's position (what a read put there). */
    private static long crc(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        d.flip();
        CRC32 c = new CRC32();
        c.update(d);
        return c.getValue();
    }

    /** CRC of a whole buffer (a map). */
    private static long crcAll(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        d.clear();
        CRC32 c = new CRC32();
        c.update(d);
        return c.getValue();
    }

    @SuppressWarnings("unchecked")
    private static Set<? extends OpenOption>[] optionSets() {
        StandardOpenOption read = StandardOpenOption.READ;
        StandardOpenOption write = StandardOpenOption.WRITE;
        // EnumSets: the same iteration order in every run (Set.of's order changes per JVM).
        return new Set[] {
            EnumSet.of(read), EnumSet.of(write), EnumSet.of(read, write), EnumSet.of(write, StandardOpenOption.APPEND),
            EnumSet.of(read, write, StandardOpenOption.DSYNC), EnumSet.of(read, write, StandardOpenOption.SYNC),
            EnumSet.of(read, write, StandardOpenOption.TRUNCATE_EXISTING),
            EnumSet.of(StandardOpenOption.CREATE_NEW, write), EnumSet.of(StandardOpenOption.CREATE, read, write),
            EnumSet.of(read, StandardOpenOption.APPEND), EnumSet.of(read, write, StandardOpenOption.SPARSE)
        };
    }
}
