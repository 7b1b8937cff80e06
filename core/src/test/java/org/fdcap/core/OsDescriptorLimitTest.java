package org.fdcap.core;

import static org.fdcap.core.Descriptors.POSIX;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.fdcap.core.Descriptors.readAt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the operating system itself refuses an open with EMFILE (descriptors the tracker does not
 * see, under its own capacity), the tracker suspends more handles and retries before failing.
 *
 * <p>The process limit cannot be lowered for the test JVM, so each test takes every free descriptor
 * number (dups of one /dev/null descriptor) for a few tracker calls, then gives them all back.
 * Nothing inside such a window may need a descriptor: classes are loaded beforehand, and results
 * are only recorded there and asserted after the window.
 */
class OsDescriptorLimitTest {
    private static final int FLAGS = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    @TempDir
    Path dir;
    private int baseline;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
        // Loads the classes of the EMFILE path through another error of the same kind.
        Path tmp = Files.createTempDirectory("fdcap-emfile-warmup");
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        try {
            tracker.open(tmp, OpenFlags.O_RDWR, 0);
            throw new AssertionError("opening a directory for writing must fail");
        } catch (IOException expected) {
            new TooManyOpenFilesException("warm-up").initCause(expected);
        }
        Files.delete(tmp);
        try (Exhaustion e = new Exhaustion()) {
            e.taken();
        }
    }

    @BeforeEach
    void takeBaseline() {
        baseline = openInProcess();
    }

    /** Takes every free descriptor number of the process until closed. */
    private static final class Exhaustion implements AutoCloseable {
        private static final int EMFILE = Errno.EMFILE.intValue();
        private int[] fds = new int[1024];
        private int count;

        Exhaustion() {
            int devNull = POSIX.open("/dev/null", OpenFlags.O_RDONLY, 0);
            if (devNull < 0) {
                throw new AssertionError("open /dev/null: errno " + POSIX.errno());
            }
            add(devNull);
            for (;;) {
                int fd = POSIX.dup(devNull);
                if (fd >= 0) {
                    add(fd);
                    continue;
                }
                int errno = POSIX.errno();
                if (errno == EMFILE) {
                    return;
                }
                close();
                throw new AssertionError("dup: errno " + errno + " after " + count + " descriptors");
            }
        }

        private void add(int fd) {
            if (count == fds.length) {
                fds = Arrays.copyOf(fds, count * 2);
            }
            fds[count++] = fd;
        }

        int taken() {
            return count;
        }

        @Override
        public void close() {
            for (int i = 0; i < count; i++) {
                POSIX.close(fds[i]);
            }
            count = 0;
        }
    }

    private void closeAndDelete(FsHandle... handles) throws IOException {
        for (FsHandle h : handles) {
            h.close();
            Files.deleteIfExists(Path.of(h.path()));
        }
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void openSuspendsAHandleAndRetriesWhenTheSystemRunsOutOfDescriptors() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(10).build();
        FsHandle a = tracker.open(dir.resolve("a"), FLAGS, 0600);
        FsHandle b = tracker.open(dir.resolve("b"), FLAGS, 0600);
        FsHandle c = tracker.open(dir.resolve("c"), FLAGS, 0600);
        Path dPath = dir.resolve("d");

        FsHandle d = null;
        IOException failure = null;
        boolean aSuspended;
        int taken;
        try (Exhaustion exhaustion = new Exhaustion()) {
            taken = exhaustion.taken();
            try {
                d = tracker.open(dPath, FLAGS, 0600);
            } catch (IOException e) {
                failure = e;
            }
            aSuspended = a.isSuspended();
        }

        assertTrue(taken > 0);
        assertNull(failure);
        assertNotNull(d);
        assertTrue(aSuspended, "the least recently used handle made room");
        assertFalse(b.isSuspended());
        assertFalse(c.isSuspended());
        TrackerStats stats = tracker.stats();
        assertEquals(1, stats.suspensions());
        assertEquals(3, stats.open());
        assertEquals(1, stats.suspended());
        d.write(bytes("d"), 0, 1);
        assertArrayEquals(bytes("d"), readAt(d, 1, 0));
        assertEquals(0, a.size(), "a restores once descriptors are free again");
        closeAndDelete(a, b, c, d);
    }

    @Test
    void restoreSuspendsAnotherHandleAndRetriesWhenTheSystemRunsOutOfDescriptors() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        FsHandle a = tracker.open(dir.resolve("a"), FLAGS, 0600);
        a.write(bytes("restored"), 0, 8);
        FsHandle b = tracker.open(dir.resolve("b"), FLAGS, 0600);
        FsHandle c = tracker.open(dir.resolve("c"), FLAGS, 0600);
        FsHandle d = tracker.open(dir.resolve("d"), FLAGS, 0600);
        assertTrue(a.isSuspended());
        d.close(); // the tracker has room again; the system will not

        int fd = -1;
        IOException failure = null;
        boolean bSuspended;
        try (Exhaustion exhaustion = new Exhaustion()) {
            try {
                fd = a.acquire();
                a.release();
            } catch (IOException e) {
                failure = e;
            }
            bSuspended = b.isSuspended();
        }

        assertNull(failure);
        assertTrue(fd >= 0);
        assertTrue(bSuspended, "the least recently used handle made room");
        assertFalse(a.isSuspended());
        assertArrayEquals(bytes("restored"), readAt(a, 8, 0));
        assertEquals(0, tracker.stats().errors());
        Files.delete(dir.resolve("d"));
        closeAndDelete(a, b, c);
    }

    @Test
    void openFailsCleanlyWhenTheSystemRunsOutAndNothingCanBeSuspended() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(10).build();
        FsHandle a = tracker.open(dir.resolve("a"), FLAGS, 0600);
        a.acquire();
        TrackerStats before = tracker.stats();
        Path dPath = dir.resolve("d");

        IOException failure = null;
        try (Exhaustion exhaustion = new Exhaustion()) {
            try {
                tracker.open(dPath, FLAGS, 0600).close();
            } catch (IOException e) {
                failure = e;
            }
        }

        assertInstanceOf(TooManyOpenFilesException.class, failure);
        assertTrue(failure.getMessage().contains(dPath.toString()), failure.getMessage());
        assertNotNull(failure.getCause(), "the system's refusal is the cause");
        assertTrue(failure.getCause().getMessage().contains("EMFILE"), failure.getCause().getMessage());
        assertFalse(Files.exists(dPath), "nothing was opened");
        assertEquals(before, tracker.stats(), "no count changed");
        a.release();

        FsHandle[] more = new FsHandle[9];
        for (int i = 0; i < more.length; i++) {
            more[i] = tracker.open(dir.resolve("more-" + i), FLAGS, 0600);
        }
        assertEquals(0, tracker.stats().suspensions(), "the failed open gave its slot back");
        a.close();
        Files.delete(dir.resolve("a"));
        closeAndDelete(more);
    }
}
