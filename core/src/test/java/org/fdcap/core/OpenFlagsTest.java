package org.fdcap.core;

import static org.fdcap.core.Descriptors.POSIX;
import static org.fdcap.core.Descriptors.assertContent;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.fdcap.core.Descriptors.readAt;
import static org.fdcap.core.OpenFlags.O_APPEND;
import static org.fdcap.core.OpenFlags.O_CLOEXEC;
import static org.fdcap.core.OpenFlags.O_CREAT;
import static org.fdcap.core.OpenFlags.O_DIRECT;
import static org.fdcap.core.OpenFlags.O_DSYNC;
import static org.fdcap.core.OpenFlags.O_EXCL;
import static org.fdcap.core.OpenFlags.O_NOFOLLOW;
import static org.fdcap.core.OpenFlags.O_RDONLY;
import static org.fdcap.core.OpenFlags.O_RDWR;
import static org.fdcap.core.OpenFlags.O_SYNC;
import static org.fdcap.core.OpenFlags.O_TMPFILE;
import static org.fdcap.core.OpenFlags.O_TRUNC;
import static org.fdcap.core.OpenFlags.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import jnr.constants.platform.Errno;
import jnr.constants.platform.Fcntl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open flags: their values, the translation from {@link OpenOption}s, and what a handle
 * reopens with (the creation flags dropped, everything else kept), checked on real restored
 * descriptors.
 */
class OpenFlagsTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    @Test
    void flagsHaveTheLinuxValues() {
        assertEquals(0, O_RDONLY);
        assertEquals(01, O_WRONLY);
        assertEquals(02, O_RDWR);
        assertEquals(0100, O_CREAT);
        assertEquals(0200, O_EXCL);
        assertEquals(01000, O_TRUNC);
        assertEquals(02000, O_APPEND);
        assertEquals(010000, O_DSYNC);
        assertEquals(04010000, O_SYNC);
        assertEquals(02000000, O_CLOEXEC);
    }

    @Test
    void flagsAreThoseJnrConstantsKnowsForThisPlatform() {
        assertEquals(jnr.constants.platform.OpenFlags.O_RDONLY.intValue(), O_RDONLY);
        assertEquals(jnr.constants.platform.OpenFlags.O_WRONLY.intValue(), O_WRONLY);
        assertEquals(jnr.constants.platform.OpenFlags.O_RDWR.intValue(), O_RDWR);
        assertEquals(jnr.constants.platform.OpenFlags.O_CREAT.intValue(), O_CREAT);
        assertEquals(jnr.constants.platform.OpenFlags.O_EXCL.intValue(), O_EXCL);
        assertEquals(jnr.constants.platform.OpenFlags.O_TRUNC.intValue(), O_TRUNC);
        assertEquals(jnr.constants.platform.OpenFlags.O_APPEND.intValue(), O_APPEND);
        assertEquals(jnr.constants.platform.OpenFlags.O_NOFOLLOW.intValue(), O_NOFOLLOW);
        assertEquals(jnr.constants.platform.OpenFlags.O_CLOEXEC.intValue(), O_CLOEXEC);
        assertEquals(jnr.constants.platform.OpenFlags.O_SYNC.intValue(), O_SYNC);
        assertEquals(jnr.constants.platform.OpenFlags.O_TMPFILE.intValue(), O_TMPFILE);
    }

    @Test
    void reopenDropsTheCreationFlagsAndKeepsTheRest() {
        assertEquals(O_RDWR | O_APPEND | O_SYNC | O_DIRECT,
                OpenFlags.forReopen(O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_SYNC | O_DIRECT));
        assertEquals(O_WRONLY | O_DSYNC | O_NOFOLLOW | O_CLOEXEC,
                OpenFlags.forReopen(O_WRONLY | O_DSYNC | O_NOFOLLOW | O_CLOEXEC));
        assertEquals(O_RDONLY, OpenFlags.forReopen(O_RDONLY | O_CREAT));
    }

    @Test
    void openOptionsTranslateAsTheJdkDoes() {
        assertEquals(O_RDONLY, flags());
        assertEquals(O_RDONLY, flags(StandardOpenOption.READ));
        assertEquals(O_WRONLY, flags(StandardOpenOption.WRITE));
        assertEquals(O_RDWR, flags(StandardOpenOption.READ, StandardOpenOption.WRITE));
        assertEquals(O_WRONLY | O_APPEND, flags(StandardOpenOption.APPEND));
        assertEquals(O_WRONLY | O_CREAT, flags(StandardOpenOption.WRITE, StandardOpenOption.CREATE));
        assertEquals(O_WRONLY | O_CREAT | O_EXCL,
                flags(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, StandardOpenOption.CREATE));
        assertEquals(O_WRONLY | O_TRUNC, flags(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING));
        assertEquals(O_WRONLY | O_SYNC, flags(StandardOpenOption.WRITE, StandardOpenOption.SYNC));
        assertEquals(O_WRONLY | O_DSYNC, flags(StandardOpenOption.WRITE, StandardOpenOption.DSYNC));
        assertEquals(O_WRONLY, flags(StandardOpenOption.WRITE, StandardOpenOption.SPARSE));
        assertEquals(O_RDONLY | O_NOFOLLOW, flags(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void creationOptionsAreIgnoredWithoutWrite() {
        assertEquals(O_RDONLY, flags(StandardOpenOption.READ, StandardOpenOption.CREATE,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.TRUNCATE_EXISTING));
    }

    @Test
    void unsupportedOptionCombinationsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> flags(StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE));
        assertThrows(IllegalArgumentException.class, () -> flags(StandardOpenOption.READ, StandardOpenOption.APPEND));
        assertThrows(IllegalArgumentException.class,
                () -> flags(StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING));
        OpenOption unknown = new OpenOption() {
        };
        assertThrows(IllegalArgumentException.class, () -> flags(StandardOpenOption.READ, unknown));
    }

    @Test
    void describeNamesEveryFlag() {
        assertEquals("O_RDWR|O_CREAT|O_APPEND", OpenFlags.describe(O_RDWR | O_CREAT | O_APPEND));
        assertEquals("O_WRONLY|O_SYNC", OpenFlags.describe(O_WRONLY | O_SYNC));
        assertEquals("O_RDONLY|O_DSYNC", OpenFlags.describe(O_RDONLY | O_DSYNC));
        assertEquals("O_RDONLY|O_EXCL|O_TRUNC|O_CLOEXEC", OpenFlags.describe(O_EXCL | O_TRUNC | O_CLOEXEC));
        assertEquals("O_RDONLY|0x10000000", OpenFlags.describe(0x10000000));
    }

    private static int flags(OpenOption... options) {
        return OpenFlags.fromOptions(Set.of(options));
    }

    // ---- reopening real files ----

    /** At capacity 1, using {@code other} suspends {@code h}. */
    private static void suspend(FsHandle h, FsHandle other) throws IOException {
        other.acquire();
        other.release();
        assertTrue(h.isSuspended(), h + " suspended");
    }

    private FdTracker capacityOneTracker() {
        return FdTracker.builder().capacity(1).build();
    }

    private FsHandle displacer(FdTracker tracker) throws IOException {
        return tracker.open(dir.resolve("displacer"), O_RDWR | O_CREAT, 0600);
    }

    private void cleanUp(FsHandle h, FsHandle other, String... files) throws IOException {
        h.close();
        other.close();
        Files.delete(dir.resolve("displacer"));
        for (String f : files) {
            Files.delete(dir.resolve(f));
        }
        assertDirectoryEmpty(dir);
    }

    @Test
    void createNewHandleIsRestoredAfterSuspension() throws IOException {
        FdTracker tracker = capacityOneTracker();
        FsHandle h = tracker.open(dir.resolve("new"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        assertEquals(O_RDWR, h.reopenFlags());
        h.write(bytes("new"), 0, 3);
        FsHandle other = displacer(tracker);
        suspend(h, other);

        h.write(bytes(" file"), 0, 5);
        assertArrayEquals("new file", readAt(h, 8, 0));
        assertEquals(0, tracker.stats().errors());
        cleanUp(h, other, "new");
    }

    @Test
    void exclusiveCreateHandleIsRestoredAfterSuspension() throws IOException {
        FdTracker tracker = capacityOneTracker();
        FsHandle h = tracker.open(dir.resolve("excl"), O_RDWR | O_CREAT | O_EXCL, 0600);
        h.write(bytes("one"), 0, 3);
        FsHandle other = displacer(tracker);
        suspend(h, other);

        assertTrue(h.acquire() >= 0);
        h.release();
        assertFalse(h.isSuspended());
        assertArrayEquals("one", readAt(h, 3, 0));
        cleanUp(h, other, "excl");
    }

    @Test
    void truncateIsNotReappliedOnRestore() throws IOException {
        FdTracker tracker = capacityOneTracker();
        Path file = dir.resolve("trunc");
        Files.write(file, bytes("old content, longer than the new"));
        FsHandle h = tracker.open(file, O_RDWR | O_TRUNC, 0);
        assertEquals(0, h.size());
        h.write(bytes("abc"), 0, 3);
        FsHandle other = displacer(tracker);
        suspend(h, other);

        assertEquals(3, h.size(), "the content written before the suspension survives");
        h.write(bytes("def"), 0, 3);
        assertContent("abcdef", file);
        cleanUp(h, other, "trunc");
    }

    @Test
    void appendHandleKeepsAppendingAfterRestore() throws IOException {
        FdTracker tracker = capacityOneTracker();
        Path file = dir.resolve("log");
        FsHandle h = tracker.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        assertEquals(O_WRONLY | O_APPEND, h.reopenFlags());
        h.write(bytes("one"), 0, 3);
        FsHandle other = displacer(tracker);
        suspend(h, other);
        // Another writer appends while the handle is suspended: its saved offset (3) is now stale.
        Files.write(file, bytes("-ext-"), StandardOpenOption.APPEND);

        h.write(bytes("two"), 0, 3);
        assertContent("one-ext-two", file);
        int fd = h.acquire();
        try {
            int status = POSIX.fcntl(fd, Fcntl.F_GETFL);
            assertEquals(O_APPEND, status & O_APPEND, "the restored descriptor has O_APPEND");
            assertEquals(O_WRONLY, status & OpenFlags.O_ACCMODE);
        } finally {
            h.release();
        }
        cleanUp(h, other, "log");
    }

    @Test
    void syncHandleIsReopenedWithSync() throws IOException {
        FdTracker tracker = capacityOneTracker();
        FsHandle h = tracker.open(dir.resolve("sync"), O_RDWR | O_CREAT | O_SYNC, 0600);
        FsHandle other = displacer(tracker);
        suspend(h, other);

        int fd = h.acquire();
        try {
            assertEquals(O_SYNC, POSIX.fcntl(fd, Fcntl.F_GETFL) & O_SYNC);
        } finally {
            h.release();
        }
        cleanUp(h, other, "sync");
    }

    @Test
    void readOnlyHandleStaysReadOnlyAfterRestore() throws IOException {
        FdTracker tracker = capacityOneTracker();
        Path file = dir.resolve("ro");
        Files.write(file, bytes("read only"));
        FsHandle h = tracker.open(file, StandardOpenOption.READ);
        FsHandle other = displacer(tracker);
        suspend(h, other);

        int fd = h.acquire();
        try {
            assertEquals(-1, POSIX.write(fd, bytes("X"), 1));
            assertEquals(Errno.EBADF.intValue(), POSIX.errno());
        } finally {
            h.release();
        }
        assertThrows(IOException.class, () -> h.write(bytes("X"), 0, 1));
        assertContent("read only", file);
        cleanUp(h, other, "ro");
    }

    @Test
    void tmpfileIsRefusedAndNothingIsOpened() throws IOException {
        int baseline = openInProcess();
        FdTracker tracker = FdTracker.builder().capacity(4).build();
        TrackerStats before = tracker.stats();

        assertThrows(IllegalArgumentException.class, () -> tracker.open(dir, O_RDWR | O_TMPFILE, 0600));
        assertEquals(before, tracker.stats());
        assertEquals(baseline, openInProcess());
        assertEquals(4, fillToCapacity(tracker), "every slot is still free");
    }

    /** Opens handles until one would need a suspension; returns how many fit. */
    private int fillToCapacity(FdTracker tracker) throws IOException {
        int opened = 0;
        FsHandle[] handles = new FsHandle[tracker.capacity() + 1];
        while (tracker.stats().suspensions() == 0 && opened <= tracker.capacity()) {
            handles[opened] = tracker.open(dir.resolve("fill-" + opened), O_RDWR | O_CREAT, 0600);
            opened++;
        }
        int fitted = tracker.stats().suspensions() == 0 ? opened : opened - 1;
        for (int i = 0; i < opened; i++) {
            handles[i].close();
            Files.delete(dir.resolve("fill-" + i));
        }
        assertDirectoryEmpty(dir);
        return fitted;
    }

    private static void assertArrayEquals(String expected, byte[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes(expected), actual);
    }
}
