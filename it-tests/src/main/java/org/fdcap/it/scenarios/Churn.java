package org.fdcap.it.scenarios;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Phaser;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.management.AttributeNotFoundException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What programs do to files that other handles still hold open (issue 19): Lucene deletes the
 * segments older readers still read, loggers rotate by renaming, editors and stores write a temp
 * file and rename it over the old one, temp files are deleted while in use, lock files are locked
 * and released. Seeded and random, with more handles open at once than a cap allows, over fewer
 * files (several handles per file), so that under the agent such files are met again and again by
 * suspensions and restores.
 *
 * <p>Each thread owns a directory, its files and its handles: no two threads touch the same file,
 * so a run without the agent is deterministic for any number of threads. Every outcome (bytes read
 * as a CRC, sizes, positions, booleans, the class of every exception, never a path or a message,
 * which name the run's directory) goes into the thread's digest. On stdout, per thread: its
 * digest and counts, then a listing (relative name, size, CRC) of every file left in its directory
 * once every handle is closed; then the files are deleted and {@code done} is printed. The
 * directory given is left empty.
 *
 * <p>Checkpoints: at 1/4, 2/4 and 3/4 of the operations every thread waits at a barrier (no I/O in
 * flight) and one line goes to <b>stderr</b> (stdout must not depend on the agent):
 * {@code churn-checkpoint deletedOpenInodes=D lockedHandlesOpen=L lockedInodes=K handlesOpen=H},
 * from the program's own bookkeeping, followed by the attributes of the agent's MBean
 * {@code org.fdcap:type=Tracker} when it is registered ({@code ?} for an attribute it does not
 * have). D counts files deleted or replaced while at least one of their handles is still open, L
 * the handles open on files a lock is held on, K those files: what an agent may rightly keep open.
 *
 * <p>Usage: {@code Churn dir seed threads handlesPerThread filesPerThread opsPerThread [trace]};
 * with {@code trace} every record is printed too (to diff two runs).
 */
public final class Churn {
    /** What the checkpoint line reports of the agent's tracker, read by name: some may not exist. */
    private static final String[] TRACKER_ATTRIBUTES = {"Pinned", "Held", "Anchors", "Locked", "Open", "Suspended",
        "Capacity"};
    private static final int CHECKPOINTS = 3;

    private Churn() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: Churn dir seed threads handlesPerThread filesPerThread opsPerThread [trace]");
            System.exit(2);
        }
        Path root = Scratch.fresh(args[0]).toAbsolutePath();
        long seed = Long.parseLong(args[1]);
        int threads = Integer.parseInt(args[2]);
        int handles = Integer.parseInt(args[3]);
        int files = Integer.parseInt(args[4]);
        int ops = Integer.parseInt(args[5]);
        boolean trace = args.length > 6 && args[6].equals("trace");

        // The agent registers its MBean once a program has created the platform MBean server (it
        // looks for one every 200 ms): create it now, so that the MBean is there at the first
        // checkpoint. Done with and without the agent alike.
        ManagementFactory.getPlatformMBeanServer();
        // CRC32 loads libzip on first use, which needs a descriptor: not at a moment when the limit
        // is reached (without the agent), where it would end the program instead of one operation.
        crc(new byte[0], 0);
        List<Worker> workers = new ArrayList<>();
        Phaser checkpoints = new Phaser(threads) {
            @Override
            protected boolean onAdvance(int phase, int registeredParties) {
                // Runs in the last thread to arrive, while the others wait: nothing is in flight.
                System.err.println(checkpointLine(workers));
                return false;
            }
        };
        for (int t = 0; t < threads; t++) {
            Path own = Files.createDirectories(root.resolve("t" + t));
            workers.add(new Worker(own, seed * 1_000_003L + t, handles, files, ops, checkpoints, trace));
        }
        List<Thread> running = new ArrayList<>();
        for (Worker w : workers) {
            Thread th = new Thread(w, "churn-" + running.size());
            running.add(th);
            th.start();
        }
        for (Thread th : running) {
            th.join();
        }
        for (Worker w : workers) {
            if (w.failure != null) {
                // Only a bug of this program ends here: every file operation's outcome is recorded.
                w.failure.printStackTrace();
                System.exit(1);
            }
        }
        for (int t = 0; t < workers.size(); t++) {
            Worker w = workers.get(t);
            System.out.print(w.log);
            System.out.println("thread " + t + " " + w.counts() + " digest=" + w.digest());
            for (String line : listing(w.dir)) {
                System.out.println("  " + line);
            }
        }
        for (Worker w : workers) {
            deleteTree(w.dir);
        }
        System.out.println("done");
    }

    /** The checkpoint line: the program's bookkeeping over all threads, then the tracker's view. */
    private static String checkpointLine(List<Worker> workers) {
        int deleted = 0;
        int lockedHandles = 0;
        int lockedFiles = 0;
        int open = 0;
        for (Worker w : workers) {
            deleted += w.deletedOpenInodes();
            lockedHandles += w.lockedHandlesOpen();
            lockedFiles += w.locked.size();
            open += w.handlesOpen();
        }
        StringBuilder line = new StringBuilder("churn-checkpoint deletedOpenInodes=").append(deleted)
                .append(" lockedHandlesOpen=").append(lockedHandles).append(" lockedInodes=").append(lockedFiles)
                .append(" handlesOpen=").append(open);
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName tracker = new ObjectName("org.fdcap:type=Tracker");
            if (underAgent()) {
                awaitRegistered(server, tracker);
            }
            if (!server.isRegistered(tracker)) {
                line.append(underAgent() ? " mbean=absent" : "");
            } else {
                for (String a : TRACKER_ATTRIBUTES) {
                    Object v;
                    try {
                        v = server.getAttribute(tracker, a);
                    } catch (AttributeNotFoundException notYet) {
                        v = "?";
                    }
                    line.append(' ').append(a).append('=').append(v);
                }
            }
        } catch (Exception e) {
            line.append(" mbean-error=").append(e);
        }
        return line.toString();
    }

    /** Whether this JVM was started with fdcap's agent (whose MBean may then be awaited). */
    private static boolean underAgent() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.startsWith("-javaagent:") && a.contains("fdcap"));
    }

    /** Waits a little for the agent's MBean, which its own thread registers (see main). */
    private static void awaitRegistered(MBeanServer server, ObjectName name) throws InterruptedException {
        for (int i = 0; i < 100 && !server.isRegistered(name); i++) {
            Thread.sleep(20);
        }
    }

    /** Every regular file under {@code dir}, by relative name, with its size and CRC. */
    private static List<String> listing(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> files = new ArrayList<>();
            all.filter(Files::isRegularFile).forEach(files::add);
            files.sort(Comparator.comparing(p -> dir.relativize(p).toString()));
            for (Path p : files) {
                byte[] b = Files.readAllBytes(p);
                lines.add(dir.relativize(p) + " size " + b.length + " crc " + crc(b, b.length));
            }
        }
        return lines;
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> all = Files.walk(p)) {
            all.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.delete(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static long crc(byte[] b, int len) {
        CRC32 c = new CRC32();
        c.update(b, 0, len);
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

    /** A directory of a thread's tree: renamed as a whole now and then, with files open in it. */
    private static final class Dir {
        Path path;

        Dir(Path path) {
            this.path = path;
        }
    }

    /**
     * A file as its thread knows it: an inode, reached through a name until it is deleted or
     * replaced (then {@code leaf} is null and only its open handles reach it).
     */
    private static final class Inode {
        final int id;
        Dir dir;
        String leaf;
        /** Handles open on it, in the thread's table. */
        int handles;
        /** The lock held on it (one at most: the others overlap and fail), or null. */
        FileLock lock;
        /** The handle whose channel took {@link #lock}: closing it releases the lock. */
        Handle lockHolder;
        /** The step at which the lock is released, by FileLock.release or by closing its holder. */
        int releaseAt;
        boolean releaseByClose;

        Inode(int id, Dir dir, String leaf) {
            this.id = id;
            this.dir = dir;
            this.leaf = leaf;
        }

        Path path() {
            return dir.path.resolve(leaf);
        }

        boolean unlinked() {
            return leaf == null;
        }
    }

    /** An open RandomAccessFile or FileChannel on an inode. */
    private static final class Handle {
        /** Opening modes: RandomAccessFile r, rw; FileChannel read, read+write, write+append. */
        static final int KINDS = 5;
        static final int RAF_RW = 1;
        static final int CHANNEL_RW = 3;

        final Inode inode;
        final int kind;
        final RandomAccessFile raf;
        final FileChannel channel;
        /** The step at which the handle is closed (its file was deleted or replaced), or -1. */
        int closeAt = -1;

        Handle(Inode inode, int kind, RandomAccessFile raf, FileChannel channel) {
            this.inode = inode;
            this.kind = kind;
            this.raf = raf;
            this.channel = channel;
        }

        static Handle open(Inode inode, int kind) throws IOException {
            Path p = inode.path();
            switch (kind) {
                case 0:
                    return new Handle(inode, kind, new RandomAccessFile(p.toFile(), "r"), null);
                case 1:
                    return new Handle(inode, kind, new RandomAccessFile(p.toFile(), "rw"), null);
                case 2:
                    return new Handle(inode, kind, null, FileChannel.open(p, StandardOpenOption.READ));
                case 3:
                    return new Handle(inode, kind, null,
                            FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE));
                default:
                    return new Handle(inode, kind, null,
                            FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
            }
        }

        FileChannel channel() {
            return raf != null ? raf.getChannel() : channel;
        }

        /** What a recorded open says: never an identity hash, which differs from run to run. */
        @Override
        public String toString() {
            return "opened";
        }

        void close() throws IOException {
            if (raf != null) {
                raf.close();
            } else {
                channel.close();
            }
        }
    }

    /** One thread's seeded program over its own tree of files and its table of handles. */
    private static final class Worker implements Runnable {
        private static final int MAX_POS = 8_192;
        private static final int MAX_LEN = 512;
        private static final int TRUNCATE_ABOVE = 24_576;
        private static final int DIRS = 4;
        /** The outcome of an operation that threw (its exception class is recorded). */
        private static final Object FAILED = new Object();

        final Path dir;
        final StringBuilder log = new StringBuilder();
        final List<Inode> locked = new ArrayList<>();
        volatile Throwable failure;

        private final Random r;
        private final int ops;
        private final int fileCount;
        private final Phaser checkpoints;
        private final boolean trace;
        private final MessageDigest md = sha256();
        private final Handle[] slots;
        private final Dir[] dirs = new Dir[DIRS];
        /** Files reachable by name, always {@code fileCount} of them. */
        private final List<Inode> live = new ArrayList<>();
        /** Files deleted or replaced with handles still open on them. */
        private final List<Inode> unlinked = new ArrayList<>();
        private int step;
        private int inodes;
        private int names;
        private int dirNames;
        private int renames;
        private int dirRenames;
        private int deletes;
        private int replaces;
        private int copies;
        private int locks;
        private int temps;

        Worker(Path dir, long seed, int handles, int files, int ops, Phaser checkpoints, boolean trace) {
            this.dir = dir;
            this.r = new Random(seed);
            this.slots = new Handle[handles];
            this.fileCount = files;
            this.ops = ops;
            this.checkpoints = checkpoints;
            this.trace = trace;
        }

        @Override
        public void run() {
            try {
                setUp();
                int nextCheckpoint = 1;
                for (step = 0; step < ops; step++) {
                    if (nextCheckpoint <= CHECKPOINTS && step == (long) ops * nextCheckpoint / (CHECKPOINTS + 1)) {
                        nextCheckpoint++;
                        checkpoints.arriveAndAwaitAdvance();
                    }
                    closeDue();
                    releaseDue();
                    operation();
                }
                for (int s = 0; s < slots.length; s++) {
                    if (slots[s] != null) {
                        close(s, "final");
                    }
                }
                while (nextCheckpoint++ <= CHECKPOINTS) {
                    checkpoints.arriveAndAwaitAdvance(); // fewer operations than checkpoints
                }
            } catch (Throwable t) {
                failure = t;
                checkpoints.arriveAndDeregister(); // the others must not wait for this thread
            }
        }

        private void setUp() throws IOException {
            for (int d = 0; d < DIRS; d++) {
                dirs[d] = new Dir(Files.createDirectories(dir.resolve("d" + dirNames++)));
            }
            for (int f = 0; f < fileCount; f++) {
                live.add(create(dirs[f % DIRS], "f"));
            }
            for (int s = 0; s < slots.length; s++) {
                openInto(s, live.get(s % fileCount), r.nextInt(Handle.KINDS));
            }
        }

        /**
         * One random operation, in per mille: mostly I/O on any handle (most of them suspended
         * under the agent), a tenth of it on handles of deleted or locked files, and about one
         * operation in ten that deletes, renames, replaces, copies over or locks a file with
         * handles open. That is often enough for several such files to be open at any moment, and
         * for every file to be renamed or replaced many times in a run, as Lucene's segments and a
         * logger's files are.
         */
        private void operation() {
            int p = r.nextInt(1000);
            if (p < 520) {
                io(r.nextInt(slots.length));
            } else if (p < 600) {
                int s = r.nextInt(slots.length);
                openInto(s, randomLive(), r.nextInt(Handle.KINDS));
            } else if (p < 680) {
                ioOnUnlinked();
            } else if (p < 720) {
                ioOnLocked();
            } else if (p < 750) {
                renameWhileOpen();
            } else if (p < 755) {
                renameDirectory();
            } else if (p < 775) {
                deleteWhileOpen();
            } else if (p < 795) {
                replaceByRename();
            } else if (p < 805) {
                copyOver();
            } else if (p < 820) {
                lock();
            } else if (p < 830) {
                tempFile();
            } else if (p < 900) {
                readByName();
            } else {
                io(r.nextInt(slots.length));
            }
        }

        // ---- recording ----

        private interface Op {
            Object run() throws Exception;
        }

        /** Runs {@code op}, records its outcome, returns its value or {@link #FAILED}. */
        private Object op(String name, Op op) {
            Object v;
            String outcome;
            try {
                v = op.run();
                outcome = "= " + v;
            } catch (Throwable t) {
                v = FAILED;
                outcome = "! " + t.getClass().getName();
                if (t.getClass().getName().startsWith("org.fdcap.")) {
                    // Only the agent throws these: say where.
                    System.err.println("churn: " + Thread.currentThread().getName() + " step " + step + " " + name
                            + ": " + t);
                }
            }
            record(name + " " + outcome);
            return v;
        }

        private void record(String s) {
            md.update(s.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            if (trace) {
                log.append("  [").append(Thread.currentThread().getName()).append(' ').append(step).append("] ")
                        .append(s).append('\n');
            }
        }

        String digest() {
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        }

        String counts() {
            return "ops=" + ops + " renames=" + renames + " dirRenames=" + dirRenames + " deletes=" + deletes
                    + " replaces=" + replaces + " copies=" + copies + " locks=" + locks + " temps=" + temps;
        }

        // ---- bookkeeping read at checkpoints (the other threads wait meanwhile) ----

        int deletedOpenInodes() {
            return unlinked.size();
        }

        int lockedHandlesOpen() {
            int n = 0;
            for (Inode f : locked) {
                n += f.handles;
            }
            return n;
        }

        int handlesOpen() {
            int n = 0;
            for (Handle h : slots) {
                n += h == null ? 0 : 1;
            }
            return n;
        }

        // ---- handles ----

        /** Opens a handle of {@code kind} on {@code f} in slot {@code s}, closing what was there. */
        private void openInto(int s, Inode f, int kind) {
            if (slots[s] != null) {
                close(s, "to reopen");
            }
            Object h = op("open " + s + " kind " + kind + " #" + f.id, () -> Handle.open(f, kind));
            if (h != FAILED) {
                adopt(s, (Handle) h);
            }
        }

        private Handle adopt(int s, Handle h) {
            slots[s] = h;
            h.inode.handles++;
            return h;
        }

        private void close(int s, String why) {
            Handle h = slots[s];
            slots[s] = null;
            op("close " + s + " " + why + " #" + h.inode.id, () -> {
                h.close();
                return "ok";
            });
            Inode f = h.inode;
            f.handles--;
            if (f.lockHolder == h) {
                // Closing the channel that holds the lock releases it.
                FileLock l = f.lock;
                op("lock valid after close #" + f.id, l::isValid);
                clearLock(f);
            }
            if (f.unlinked() && f.handles == 0) {
                unlinked.remove(f);
            }
        }

        /**
         * Closes the handles of deleted files whose time has come, in slot order, and opens a live
         * file in each slot instead (as a reader moves from a merged-away segment to the new one):
         * the table stays full, more handles than the cap.
         */
        private void closeDue() {
            for (int s = 0; s < slots.length; s++) {
                if (slots[s] != null && slots[s].closeAt >= 0 && slots[s].closeAt <= step) {
                    close(s, "due");
                    openInto(s, randomLive(), r.nextInt(Handle.KINDS));
                }
            }
        }

        private void releaseDue() {
            for (Inode f : new ArrayList<>(locked)) {
                if (f.releaseAt > step) {
                    continue;
                }
                if (f.releaseByClose) {
                    close(slotOf(f.lockHolder), "releasing");
                } else {
                    FileLock l = f.lock;
                    op("release #" + f.id, () -> {
                        l.release();
                        return l.isValid();
                    });
                    clearLock(f);
                }
            }
        }

        private void clearLock(Inode f) {
            f.lock = null;
            f.lockHolder = null;
            locked.remove(f);
        }

        private int slotOf(Handle h) {
            for (int s = 0; s < slots.length; s++) {
                if (slots[s] == h) {
                    return s;
                }
            }
            throw new IllegalStateException("handle not in the table");
        }

        /** The slots holding a handle on {@code f}, in slot order. */
        private List<Integer> slotsOf(Inode f) {
            List<Integer> found = new ArrayList<>();
            for (int s = 0; s < slots.length; s++) {
                if (slots[s] != null && slots[s].inode == f) {
                    found.add(s);
                }
            }
            return found;
        }

        // ---- files ----

        /** A new file with random content (0 to 8 KiB) named {@code prefix + n} in {@code d}. */
        private Inode create(Dir d, String prefix) {
            Inode f = new Inode(inodes++, d, prefix + names++);
            byte[] data = bytes(r.nextInt(MAX_POS));
            op("create #" + f.id + " " + f.leaf + " " + data.length, () -> {
                Files.write(f.path(), data);
                return "ok";
            });
            return f;
        }

        private Inode randomLive() {
            return live.get(r.nextInt(live.size()));
        }

        /** A live file, preferably one with handles open (a few tries). */
        private Inode liveWithHandles() {
            Inode f = randomLive();
            for (int i = 0; i < 4 && f.handles == 0; i++) {
                f = randomLive();
            }
            return f;
        }

        /** {@code f} is no longer reachable by name: its handles go on for a while, then close. */
        private void unlink(Inode f) {
            f.leaf = null;
            if (f.handles > 0) {
                unlinked.add(f);
                for (int s : slotsOf(f)) {
                    slots[s].closeAt = step + 10 + r.nextInt(120);
                }
            }
        }

        private String rel(Path p) {
            return dir.relativize(p).toString();
        }

        // ---- operations ----

        private void io(int s) {
            Handle h = slots[s];
            if (h == null) {
                openInto(s, randomLive(), r.nextInt(Handle.KINDS));
                return;
            }
            int k = r.nextInt(10);
            int len = 1 + r.nextInt(MAX_LEN);
            long pos = r.nextInt(MAX_POS);
            String who = "io " + s + " kind " + h.kind + " #" + h.inode.id + " ";
            switch (k) {
                case 0:
                case 1:
                    op(who + "read " + len, () -> {
                        if (h.raf != null) {
                            byte[] b = new byte[len];
                            int n = h.raf.read(b);
                            return n + " crc " + crc(b, Math.max(n, 0)) + " at " + h.raf.getFilePointer();
                        }
                        ByteBuffer b = ByteBuffer.allocate(len);
                        int n = h.channel.read(b);
                        return n + " crc " + crc(b) + " at " + h.channel.position();
                    });
                    break;
                case 2:
                    op(who + "pread " + len + " " + pos, () -> {
                        ByteBuffer b = ByteBuffer.allocate(len);
                        int n = h.channel().read(b, pos);
                        return n + " crc " + crc(b);
                    });
                    break;
                case 3:
                case 4: {
                    byte[] data = bytes(len);
                    op(who + "write " + len, () -> {
                        if (h.raf != null) {
                            h.raf.write(data);
                            return h.raf.getFilePointer();
                        }
                        return h.channel.write(ByteBuffer.wrap(data)) + " at " + h.channel.position();
                    });
                    break;
                }
                case 5: {
                    byte[] data = bytes(len);
                    op(who + "pwrite " + len + " " + pos, () -> h.channel().write(ByteBuffer.wrap(data), pos));
                    break;
                }
                case 6:
                    op(who + "seek " + pos, () -> {
                        if (h.raf != null) {
                            h.raf.seek(pos);
                            return h.raf.getFilePointer();
                        }
                        return h.channel.position(pos).position();
                    });
                    break;
                case 7:
                    op(who + "size", () -> h.raf != null ? h.raf.length() + " at " + h.raf.getFilePointer()
                            : h.channel.size() + " at " + h.channel.position());
                    break;
                case 8:
                    op(who + "read all", () -> {
                        FileChannel ch = h.channel();
                        ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 4 * TRUNCATE_ABOVE));
                        int n = ch.read(b, 0);
                        return n + " crc " + crc(b);
                    });
                    break;
                default:
                    op(who + "trim " + pos, () -> {
                        if (h.raf != null) {
                            if (h.raf.length() > TRUNCATE_ABOVE) {
                                h.raf.setLength(pos);
                            }
                            return h.raf.length() + " at " + h.raf.getFilePointer();
                        }
                        if (h.channel.size() > TRUNCATE_ABOVE) {
                            h.channel.truncate(pos);
                        }
                        return h.channel.size() + " at " + h.channel.position();
                    });
                    break;
            }
        }

        /** I/O through a handle of a deleted or replaced file: it must still see that file's data. */
        private void ioOnUnlinked() {
            if (unlinked.isEmpty()) {
                io(r.nextInt(slots.length));
                return;
            }
            List<Integer> on = slotsOf(unlinked.get(r.nextInt(unlinked.size())));
            io(on.get(r.nextInt(on.size())));
        }

        /** I/O through a handle of a locked file (the lock's holder or another). */
        private void ioOnLocked() {
            if (locked.isEmpty()) {
                io(r.nextInt(slots.length));
                return;
            }
            List<Integer> on = slotsOf(locked.get(r.nextInt(locked.size())));
            io(on.get(r.nextInt(on.size())));
        }

        /** Two handles of {@code f}, if it has them, are used after what just happened to its name. */
        private void useHandlesOf(Inode f) {
            List<Integer> on = slotsOf(f);
            for (int i = 0; i < 2 && !on.isEmpty(); i++) {
                io(on.remove(r.nextInt(on.size())));
            }
        }

        private void readByName() {
            Inode f = randomLive();
            if (r.nextBoolean()) {
                op("readAllBytes #" + f.id, () -> {
                    byte[] b = Files.readAllBytes(f.path());
                    return b.length + " crc " + crc(b, b.length);
                });
            } else {
                op("size #" + f.id, () -> Files.size(f.path()));
            }
        }

        /** Rename while open (File.renameTo, Files.move, atomic): the handles follow the file. */
        private void renameWhileOpen() {
            renames++;
            Inode f = liveWithHandles();
            Dir to = dirs[r.nextInt(DIRS)];
            String leaf = "f" + names++;
            int how = r.nextInt(3);
            Path from = f.path();
            Path target = to.path.resolve(leaf);
            Object done = op("rename #" + f.id + " to " + rel(target) + " how " + how, () -> {
                if (how == 0) {
                    return from.toFile().renameTo(target.toFile());
                }
                if (how == 1) {
                    Files.move(from, target);
                } else {
                    Files.move(from, target, StandardCopyOption.ATOMIC_MOVE);
                }
                return true;
            });
            if (done == Boolean.TRUE) {
                f.dir = to;
                f.leaf = leaf;
            }
            useHandlesOf(f);
            if (r.nextBoolean()) {
                openInto(r.nextInt(slots.length), f, r.nextInt(Handle.KINDS));
            }
        }

        /** A directory with files open in it is renamed: every file in it has a new name. */
        private void renameDirectory() {
            dirRenames++;
            Dir d = dirs[r.nextInt(DIRS)];
            Path target = dir.resolve("d" + dirNames++);
            boolean io = r.nextBoolean();
            Path from = d.path;
            Object done = op("rename dir " + rel(from) + " to " + rel(target) + " io " + io, () -> {
                if (io) {
                    return from.toFile().renameTo(target.toFile());
                }
                Files.move(from, target);
                return true;
            });
            if (done == Boolean.TRUE) {
                d.path = target;
            }
            for (int i = 0; i < 3; i++) {
                Inode f = randomLive();
                if (f.dir == d) {
                    useHandlesOf(f);
                    readByNameOf(f);
                }
            }
        }

        private void readByNameOf(Inode f) {
            op("read by name #" + f.id, () -> {
                byte[] b = Files.readAllBytes(f.path());
                return b.length + " crc " + crc(b, b.length);
            });
        }

        /** Delete while open (Files.delete, deleteIfExists, File.delete); a new file takes its place. */
        private void deleteWhileOpen() {
            deletes++;
            Inode f = liveWithHandles();
            int how = r.nextInt(3);
            Path p = f.path();
            Object done = op("delete #" + f.id + " how " + how, () -> {
                if (how == 0) {
                    Files.delete(p);
                    return true;
                }
                return how == 1 ? Files.deleteIfExists(p) : p.toFile().delete();
            });
            op("exists after delete #" + f.id, () -> Files.exists(p));
            if (done == Boolean.TRUE) {
                unlink(f);
                live.set(live.indexOf(f), create(f.dir, "f"));
            }
            useHandlesOf(f);
        }

        /**
         * Write a new version next to a file and rename it over the file (Files.move
         * REPLACE_EXISTING, ATOMIC_MOVE, File.renameTo), sometimes through a handle kept open
         * afterwards: old handles keep the old data, new opens see the new.
         */
        private void replaceByRename() {
            replaces++;
            Inode old = liveWithHandles();
            Inode fresh = new Inode(inodes++, old.dir, "n" + names++);
            byte[] data = bytes(1 + r.nextInt(MAX_POS));
            boolean throughHandle = r.nextBoolean();
            int how = r.nextInt(3);
            if (throughHandle) {
                int s = r.nextInt(slots.length);
                boolean channel = r.nextBoolean();
                boolean force = r.nextInt(8) == 0;
                if (slots[s] != null) {
                    close(s, "for temp");
                }
                Object opened = op("open temp " + s + " #" + fresh.id + " channel " + channel, () -> channel
                        ? new Handle(fresh, Handle.CHANNEL_RW, null, FileChannel.open(fresh.path(),
                                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
                        : new Handle(fresh, Handle.RAF_RW, new RandomAccessFile(fresh.path().toFile(), "rw"), null));
                if (opened == FAILED) {
                    return;
                }
                Handle h = adopt(s, (Handle) opened);
                op("write temp #" + fresh.id + " " + data.length + " force " + force, () -> {
                    h.channel().write(ByteBuffer.wrap(data));
                    if (force) {
                        h.channel().force(true);
                    }
                    return h.channel().position();
                });
            } else {
                Object written = op("write temp #" + fresh.id + " " + data.length, () -> {
                    Files.write(fresh.path(), data);
                    return "ok";
                });
                if (written == FAILED) {
                    return;
                }
            }
            Path from = fresh.path();
            Path target = old.path();
            Object done = op("replace #" + old.id + " by #" + fresh.id + " how " + how, () -> {
                if (how == 0) {
                    return from.toFile().renameTo(target.toFile());
                }
                if (how == 1) {
                    Files.move(from, target, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.move(from, target, StandardCopyOption.ATOMIC_MOVE);
                }
                return true;
            });
            if (done == Boolean.TRUE) {
                fresh.leaf = old.leaf;
                unlink(old);
                live.set(live.indexOf(old), fresh);
            } else {
                op("delete temp #" + fresh.id, () -> Files.deleteIfExists(from));
                unlink(fresh);
            }
            afterReplace(old, fresh);
        }

        /** Files.copy with REPLACE_EXISTING over a file with handles open: a new file at the name. */
        private void copyOver() {
            copies++;
            Inode old = liveWithHandles();
            Inode source = randomLive();
            if (source == old) {
                return;
            }
            Inode fresh = new Inode(inodes++, old.dir, old.leaf);
            Object done = op("copy #" + source.id + " over #" + old.id, () -> {
                Files.copy(source.path(), old.path(), StandardCopyOption.REPLACE_EXISTING);
                return true;
            });
            if (done == Boolean.TRUE) {
                unlink(old);
                live.set(live.indexOf(old), fresh);
            }
            afterReplace(old, fresh);
        }

        /** An old handle reads the old data; a new open by the name reads the new. */
        private void afterReplace(Inode old, Inode fresh) {
            List<Integer> on = slotsOf(old);
            if (!on.isEmpty()) {
                Handle h = slots[on.get(r.nextInt(on.size()))];
                op("old handle #" + old.id + " kind " + h.kind, () -> {
                    ByteBuffer b = ByteBuffer.allocate(MAX_POS);
                    int n = h.channel().read(b, 0);
                    return n + " crc " + crc(b) + " size " + h.channel().size();
                });
            }
            if (!fresh.unlinked()) {
                readByNameOf(fresh);
            }
        }

        /**
         * A lock (lock or tryLock, shared or exclusive, a range or the whole file) held for a
         * while over other operations, then released by FileLock.release or by closing its
         * channel; a second lock on a locked file overlaps and fails.
         */
        private void lock() {
            locks++;
            int s = r.nextInt(slots.length);
            Handle h = slots[s];
            boolean shared = r.nextBoolean();
            boolean tryLock = r.nextBoolean();
            boolean whole = r.nextBoolean();
            int hold = 20 + r.nextInt(150);
            boolean byClose = r.nextInt(3) == 0;
            if (h == null) {
                return;
            }
            Inode f = h.inode;
            String who = "lock " + s + " kind " + h.kind + " #" + f.id + " shared " + shared + " try " + tryLock
                    + " whole " + whole;
            if (f.lock != null) {
                op(who + " again", () -> h.channel().tryLock(0, MAX_POS, shared));
                return;
            }
            Object l = op(who, () -> {
                FileChannel ch = h.channel();
                FileLock got = whole ? (tryLock ? ch.tryLock(0, Long.MAX_VALUE, shared) : ch.lock(0, Long.MAX_VALUE, shared))
                        : (tryLock ? ch.tryLock(0, MAX_POS, shared) : ch.lock(0, MAX_POS, shared));
                f.lock = got;
                return got == null ? "null" : got.isShared() + " " + got.isValid();
            });
            if (l != FAILED && f.lock != null) {
                f.lockHolder = h;
                f.releaseAt = step + hold;
                f.releaseByClose = byClose;
                locked.add(f);
            }
        }

        /** A temp file: created, written, kept open by one to three handles, deleted, used, closed. */
        private void tempFile() {
            temps++;
            Dir d = dirs[r.nextInt(DIRS)];
            Inode f = new Inode(inodes++, d, "tmp" + names++);
            byte[] data = bytes(1 + r.nextInt(MAX_POS));
            int extra = r.nextInt(3);
            int how = r.nextInt(3);
            int s = r.nextInt(slots.length);
            if (slots[s] != null) {
                close(s, "for temp");
            }
            Object opened = op("open temp " + s + " #" + f.id,
                    () -> new Handle(f, Handle.RAF_RW, new RandomAccessFile(f.path().toFile(), "rw"), null));
            if (opened == FAILED) {
                return;
            }
            Handle h = adopt(s, (Handle) opened);
            op("write temp #" + f.id + " " + data.length, () -> {
                h.raf.write(data);
                h.raf.seek(0);
                return h.raf.length();
            });
            for (int i = 0; i < extra; i++) {
                openInto(r.nextInt(slots.length), f, r.nextInt(Handle.KINDS));
            }
            Path p = f.path();
            Object done = op("delete temp #" + f.id + " how " + how, () -> {
                if (how == 0) {
                    Files.delete(p);
                    return true;
                }
                return how == 1 ? Files.deleteIfExists(p) : p.toFile().delete();
            });
            unlink(f);
            if (done != Boolean.TRUE) {
                // Never expected: leave nothing behind all the same.
                op("delete temp again #" + f.id, () -> Files.deleteIfExists(p));
            }
            useHandlesOf(f);
        }

        // ---- data ----

        private byte[] bytes(int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
