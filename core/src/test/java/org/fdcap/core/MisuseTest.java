package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Misuse (release without acquire, close while pinned, use after close, double close, untrack
 * without a pin) throws {@link IllegalStateException} and changes no count: every test compares
 * the whole {@link TrackerStats} and the process's descriptor count before and after.
 */
class MisuseTest {
    @TempDir
    Path dir;
    private int baseline;
    private FdTracker tracker;
    /** Open at capacity 2 (after {@link #suspended}). */
    private FsHandle open;
    /** Suspended by the opening of the later handles. */
    private FsHandle suspended;
    private FsHandle third;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    @BeforeEach
    void openHandles() throws IOException {
        baseline = openInProcess();
        tracker = FdTracker.builder().capacity(2).build();
        suspended = tracker.open(dir.resolve("suspended"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        open = tracker.open(dir.resolve("open"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        third = tracker.open(dir.resolve("third"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        assertTrue(suspended.isSuspended());
        assertFalse(open.isSuspended());
    }

    @AfterEach
    void everyFileIsGone() throws IOException {
        for (String name : new String[] {"suspended", "open", "third"}) {
            Files.deleteIfExists(dir.resolve(name));
        }
        assertDirectoryEmpty(dir);
    }

    /** Runs the misuse and checks it is refused with every count left exact. */
    private void assertRefused(Executable misuse) {
        TrackerStats before = tracker.stats();
        int descriptors = openInProcess();
        IllegalStateException e = assertThrows(IllegalStateException.class, misuse);
        assertFalse(e.getMessage().isEmpty());
        assertEquals(before, tracker.stats(), "stats unchanged");
        assertEquals(descriptors, openInProcess(), "descriptors unchanged");
    }

    private void closeAll() throws IOException {
        for (FsHandle h : new FsHandle[] {suspended, open, third}) {
            if (!h.isClosed()) {
                h.close();
            }
        }
        assertEquals(baseline, openInProcess());
        assertTrue(tracker.destroy().isEmpty());
    }

    @Test
    void releaseWithoutAcquireIsRefused() throws IOException {
        assertRefused(open::release);
        assertRefused(suspended::release);
        assertEquals(0, open.pins());
        assertTrue(suspended.isSuspended());
        closeAll();
    }

    @Test
    void releasingMoreThanAcquiredIsRefused() throws IOException {
        open.acquire();
        open.release();
        assertRefused(open::release);
        assertEquals(0, open.pins());
        closeAll();
    }

    @Test
    void closeWhilePinnedIsRefusedAndTheHandleStaysUsable() throws IOException {
        int fd = open.acquire();
        assertRefused(open::close);
        assertEquals(1, open.pins());
        assertFalse(open.isClosed());
        Descriptors.writeFully(fd, bytes("still usable"));
        open.release();
        open.close();
        assertTrue(open.isClosed());
        Descriptors.assertContent("still usable", dir.resolve("open"));
        closeAll();
    }

    @Test
    void useAfterCloseIsRefused() throws IOException {
        open.close();
        suspended.close();
        for (FsHandle closed : new FsHandle[] {open, suspended}) {
            assertRefused(closed::acquire);
            assertRefused(closed::release);
            assertRefused(closed::unlink);
            assertRefused(closed::untrack);
            assertRefused(() -> closed.read(new byte[1], 0, 1));
            assertRefused(() -> closed.read(new byte[1], 0, 1, 0));
            assertRefused(() -> closed.write(new byte[1], 0, 1));
            assertRefused(() -> closed.write(new byte[1], 0, 1, 0));
            assertRefused(() -> closed.seek(0));
            assertRefused(closed::position);
            assertRefused(closed::size);
            assertRefused(() -> closed.truncate(0));
            assertRefused(closed::force);
        }
        assertTrue(Files.exists(dir.resolve("open")), "unlink after close did nothing");
        closeAll();
    }

    @Test
    void doubleCloseIsRefused() throws IOException {
        open.close();
        suspended.close();
        assertRefused(open::close);
        assertRefused(suspended::close);
        closeAll();
    }

    @Test
    void untrackWithoutAPinIsRefused() throws IOException {
        assertRefused(open::untrack);
        assertRefused(suspended::untrack);
        assertFalse(open.isClosed());
        assertFalse(suspended.isClosed());
        closeAll();
    }

    @Test
    void openAfterDestroyIsRefusedButExistingHandlesKeepWorking() throws IOException {
        assertEquals(3, tracker.destroy().handles().size());
        assertThrows(IllegalStateException.class,
                () -> tracker.open(dir.resolve("late"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600));
        assertFalse(Files.exists(dir.resolve("late")));
        assertThrows(IllegalStateException.class,
                () -> tracker.openUnsuspendable(java.util.List.of("stdout"), n -> new int[] {1}));
        assertEquals(0, tracker.stats().unsuspendable());

        suspended.write(bytes("after"), 0, 5, 0);
        Descriptors.assertContent("after", dir.resolve("suspended"));
        closeAll();
    }

    @Test
    void builderRefusesBadSettings() throws IOException {
        assertThrows(IllegalStateException.class, () -> FdTracker.builder().build(), "capacity is required");
        assertThrows(IllegalArgumentException.class, () -> FdTracker.builder().capacity(-1));
        assertThrows(IllegalArgumentException.class,
                () -> FdTracker.builder().capacity(1).unlinkedFilePool(Path.of("relative/pool")).build());
        closeAll();
    }
}
