package org.fdcap.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * What the tests need from outside the tracker: the process's descriptor count, raw system calls
 * (jnr-posix, as a program holding an acquired descriptor would make them), and the seed's
 * "test directory is empty" check.
 */
final class Descriptors {
    /** Raw system calls, independent of the tracker's own Posix wrapper. */
    static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    private static final int EINTR = jnr.constants.platform.Errno.EINTR.intValue();
    private static final File PROC_SELF_FD = new File("/proc/self/fd");
    /** Whether {@code /proc/self/fd}'s size is its number of entries (see {@link #openInProcess()}). */
    private static final boolean SIZE_IS_COUNT = sizeIsCount();
    private static boolean warm;

    private Descriptors() {
    }

    /**
     * The descriptors the process has open now, from {@code /proc/self/fd}: its size where the
     * kernel reports the number of open descriptors there (Linux 6.2 and later; checked against a
     * listing once), otherwise a listing less the one descriptor the listing itself holds, as the
     * seed does. The size costs one stat(2) and opens nothing, where a listing costs tens of
     * microseconds, which matters for a check made on each of 149,000 cycles.
     */
    static int openInProcess() {
        return SIZE_IS_COUNT ? countBySize() : countByListing();
    }

    /**
     * The descriptors of this process that lead to files under {@code dir}: the tracker's own,
     * where {@link #openInProcess()} also counts what the JVM opens for a moment on its own threads
     * (a class file, a cgroup file read by the JIT's or the GC's sizing).
     */
    static int openUnder(Path dir) {
        String prefix = dir.toAbsolutePath().toString() + "/";
        return (int) describeOpen().stream().filter(target -> target.startsWith(prefix)).count();
    }

    /**
     * Every descriptor of this process now, by number, with what it leads to. The listing's own
     * descriptor (and any closed while it is read) shows as {@link #CLOSED_WHILE_LISTED}.
     */
    static SortedMap<Integer, String> listing() {
        SortedMap<Integer, String> out = new TreeMap<>();
        String[] names = PROC_SELF_FD.list();
        if (names == null) {
            return out;
        }
        for (String n : names) {
            String target;
            try {
                target = Files.readSymbolicLink(PROC_SELF_FD.toPath().resolve(n)).toString();
            } catch (IOException closedMeanwhile) {
                target = CLOSED_WHILE_LISTED;
            }
            out.put(Integer.parseInt(n), target);
        }
        return out;
    }

    /** What {@link #listing()} shows for a descriptor closed before its target could be read. */
    static final String CLOSED_WHILE_LISTED = "(closed while listed: the listing's own, or a passing one)";

    /**
     * The entries of {@code now} that are not in {@code baseline} (same number, same target), one
     * per line, each marked as a file under {@code dir} (the tracker's) or not.
     */
    static String beyond(SortedMap<Integer, String> baseline, SortedMap<Integer, String> now,
            Path dir) {
        if (now == null) {
            return "(no listing was taken)";
        }
        String prefix = dir.toAbsolutePath().toString() + "/";
        StringBuilder sb = new StringBuilder();
        int tracker = 0;
        int other = 0;
        for (Map.Entry<Integer, String> e : now.entrySet()) {
            String target = e.getValue();
            if (target.equals(baseline.get(e.getKey()))) {
                continue;
            }
            boolean mine = target.startsWith(prefix);
            if (mine) {
                tracker++;
            } else if (!target.equals(CLOSED_WHILE_LISTED)) {
                other++;
            }
            sb.append("\n    fd ").append(e.getKey()).append(" -> ").append(target)
                    .append(mine ? "  [the tracker's]" : target.equals(CLOSED_WHILE_LISTED) ? "" : "  [NOT the tracker's]");
        }
        return tracker + " of the tracker's files and " + other + " other descriptors beyond the baseline:" + sb;
    }

    /** What every descriptor of this process leads to now (for failure messages). */
    static List<String> describeOpen() {
        String[] names = PROC_SELF_FD.list();
        if (names == null) {
            return List.of();
        }
        return Arrays.stream(names).map(n -> {
            try {
                return Files.readSymbolicLink(PROC_SELF_FD.toPath().resolve(n)).toString();
            } catch (IOException closedMeanwhile) {
                return n + " (closed meanwhile)";
            }
        }).sorted().collect(Collectors.toList());
    }

    private static boolean sizeIsCount() {
        for (int attempt = 0; attempt < 5; attempt++) {
            int before = countBySize();
            int listed = countByListing();
            if (before > 0 && before == listed && countBySize() == before) {
                return true;
            }
        }
        return false;
    }

    private static int countBySize() {
        try {
            return (int) Files.size(PROC_SELF_FD.toPath());
        } catch (IOException e) {
            return -1;
        }
    }

    private static int countByListing() {
        String[] names = PROC_SELF_FD.list();
        if (names == null) {
            throw new AssertionError("cannot list /proc/self/fd");
        }
        return names.length - 1;
    }

    /**
     * Runs every code path the tests measure once, so that lazily opened files (class files, jars,
     * native stubs) are open or loaded before a test takes its baseline descriptor count.
     */
    static synchronized void warmUp() throws IOException {
        if (warm) {
            return;
        }
        Path dir = Files.createTempDirectory("fdcap-warmup");
        Path pool = dir.resolve("pool");
        FdTracker tracker = FdTracker.builder().capacity(1).unlinkedFilePool(pool).leakTracing(true).build();
        FsHandle a = tracker.open(dir.resolve("a"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        FsHandle b = tracker.open(dir.resolve("b"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        writeFully(a.acquire(), new byte[] {1});
        a.release();
        a.write(new byte[] {2}, 0, 1, 1);
        b.read(new byte[1], 0, 1, 0);
        b.read(new byte[1], 0, 1);
        a.seek(0);
        a.position();
        a.size();
        a.truncate(2);
        a.force();
        a.unlink();
        b.unlink();
        b.close();
        a.close();
        int[] pipe = new int[2];
        POSIX.pipe(pipe);
        POSIX.close(pipe[0]);
        POSIX.close(pipe[1]);
        int[] fds = tracker.openUnsuspendable(List.of("warm-up"), n -> new int[] {1});
        tracker.closeUnsuspendable(fds, closed -> { });
        try {
            tracker.openUnsuspendable(List.of("x", "y"), n -> new int[] {1, 2});
        } catch (TooManyOpenFilesException expected) {
            // loads the class
        }
        tracker.describe();
        tracker.destroy().toString();
        Files.write(dir.resolve("c"), new byte[] {3});
        Files.readAllBytes(dir.resolve("c"));
        // No assertion here: the tests themselves check what the tracker leaves behind.
        try (Stream<Path> left = Files.walk(dir)) {
            for (Path p : left.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
        openInProcess();
        warm = true;
    }

    /** write(2) of all of {@code data} on a raw descriptor, retrying on EINTR and short writes. */
    static void writeFully(int fd, byte[] data) {
        int done = 0;
        while (done < data.length) {
            byte[] rest = done == 0 ? data : Arrays.copyOfRange(data, done, data.length);
            int n = POSIX.write(fd, rest, rest.length);
            if (n < 0) {
                if (POSIX.errno() == EINTR) {
                    continue;
                }
                fail("write(" + fd + ") failed: errno " + POSIX.errno());
            }
            done += n;
        }
    }

    /** pwrite(2) of all of {@code data} at {@code position} on a raw descriptor. */
    static void pwriteFully(int fd, byte[] data, long position) {
        int done = 0;
        while (done < data.length) {
            byte[] rest = done == 0 ? data : Arrays.copyOfRange(data, done, data.length);
            long n = POSIX.pwrite(fd, rest, rest.length, position + done);
            if (n < 0) {
                if (POSIX.errno() == EINTR) {
                    continue;
                }
                fail("pwrite(" + fd + ") failed: errno " + POSIX.errno());
            }
            done += (int) n;
        }
    }

    /** pread(2) of exactly {@code length} bytes at {@code position} on a raw descriptor. */
    static byte[] preadFully(int fd, int length, long position) {
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            byte[] buf = new byte[length - done];
            long n = POSIX.pread(fd, buf, buf.length, position + done);
            if (n < 0) {
                if (POSIX.errno() == EINTR) {
                    continue;
                }
                fail("pread(" + fd + ") failed: errno " + POSIX.errno());
            }
            if (n == 0) {
                fail("pread(" + fd + ") hit the end of file after " + done + " of " + length + " bytes");
            }
            System.arraycopy(buf, 0, out, done, (int) n);
            done += (int) n;
        }
        return out;
    }

    /** Reads {@code length} bytes at {@code position} through a handle's convenience method. */
    static byte[] readAt(FsHandle h, int length, long position) throws IOException {
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            int n = h.read(out, done, length - done, position + done);
            if (n < 0) {
                fail("end of file after " + done + " of " + length + " bytes");
            }
            done += n;
        }
        return out;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The seed's closing check: the test left no file, and no pool directory, behind. */
    static void assertDirectoryEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            assertEquals(List.of(), entries.map(Path::getFileName).map(Path::toString).sorted().collect(Collectors.toList()),
                    "test directory is empty");
        }
    }

    /** Asserts a file's whole content, read with plain java.nio, byte for byte. */
    static void assertContent(byte[] expected, Path file) throws IOException {
        assertArrayEquals(expected, Files.readAllBytes(file), "content of " + file);
    }

    static void assertContent(String expected, Path file) throws IOException {
        assertEquals(expected, new String(Files.readAllBytes(file), StandardCharsets.US_ASCII), "content of " + file);
    }
}
