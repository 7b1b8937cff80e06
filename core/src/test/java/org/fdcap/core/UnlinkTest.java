package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertContent;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.fdcap.core.Descriptors.readAt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FsHandle#unlink()}: the name goes at once, the data stays readable and writable through
 * every handle on the file, suspended or not, until the last one closes. With a pool the file
 * waits there (and suspended handles reopen it from there, at no descriptor); without one (or
 * with one the tracker cannot use) the tracker keeps one descriptor of its own on the file, its
 * anchor, whatever the number of handles.
 */
class UnlinkTest {
    private static final int FLAGS = OpenFlags.O_RDWR | OpenFlags.O_CREAT;

    @TempDir
    Path dir;
    private int baseline;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    @BeforeEach
    void takeBaseline() {
        baseline = openInProcess();
    }

    @Test
    void unlinkWithoutAPoolKeepsTheFileThroughOneDescriptorOfItsOwnForAllItsHandles() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        Path file = dir.resolve("file");
        List<FsHandle> handles = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            handles.add(tracker.open(file, FLAGS, 0600));
        }
        handles.get(0).write(bytes("unlinked data"), 0, 13);
        FsHandle g = tracker.open(dir.resolve("g"), FLAGS, 0600);
        FsHandle x = tracker.open(dir.resolve("x"), FLAGS, 0600);

        handles.get(1).unlink();

        assertFalse(Files.exists(file), "the name is gone at once");
        assertEquals(1, tracker.stats().anchors(), "one descriptor for the file, whatever its handles");
        // The five handles, g and x share the two other slots: every one of them is suspended and
        // restored in turn, the file's through its anchor.
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < handles.size(); i++) {
                handles.get(i).write(bytes(Integer.toString(i)), 0, 1, i);
                g.size();
                x.size();
                assertTrue(openInProcess() <= baseline + 3, "at most the capacity: " + openInProcess());
            }
        }
        assertTrue(tracker.stats().suspensions() > 10, tracker.stats().toString());
        for (FsHandle h : handles) {
            assertArrayEquals(bytes("01234ked data"), readAt(h, 13, 0), "every handle sees the one file");
        }
        assertEquals(0, tracker.stats().errors(), String.valueOf(tracker.lastError()));
        assertEquals(0, tracker.stats().held() - tracker.stats().anchors(), "nothing else is held open");

        assertThrows(NoSuchFileException.class, handles.get(0)::unlink, "already unlinked");
        FsHandle fresh = tracker.open(file, FLAGS, 0600);
        assertEquals(0, fresh.size(), "a new file under the old name");

        for (FsHandle h : handles) {
            h.close();
        }
        assertEquals(0, tracker.stats().anchors(), "the anchor closes with the file's last handle");
        for (FsHandle h : List.of(g, x, fresh)) {
            h.close();
        }
        assertEquals(baseline, openInProcess());
        assertTrue(tracker.destroy().isEmpty());
        for (String name : new String[] {"g", "x", "file"}) {
            Files.delete(dir.resolve(name));
        }
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkWithNoRoomForTheAnchorWhileAHandleIsSuspendedChangesNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("data"), 0, 4);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);
        assertTrue(h0.isSuspended());
        h1.acquire(); // the only slot is in use

        assertThrows(TooManyOpenFilesException.class, h1::unlink,
                "a suspended handle could not be reopened without the name, and there is no room for an anchor");

        h1.release();
        assertContent("data", file);
        assertEquals(0, tracker.stats().anchors());
        // Both handles can still be suspended and restored, as before.
        assertArrayEquals(bytes("data"), readAt(h0, 4, 0));
        assertTrue(h1.isSuspended());
        assertArrayEquals(bytes("data"), readAt(h1, 4, 0));
        assertTrue(h0.isSuspended());
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        assertTrue(h1.isSuspended());

        for (FsHandle h : List.of(h0, h1, other)) {
            h.close();
        }
        assertEquals(baseline, openInProcess());
        Files.delete(file);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkWithNoRoomForTheAnchorKeepsTheFilesHandlesOpenWhenAllAreOpen() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("data"), 0, 4);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);
        h0.acquire();
        h1.acquire();

        h1.unlink();

        h0.release();
        h1.release();
        assertFalse(Files.exists(file));
        assertEquals(0, tracker.stats().anchors(), "no room for one");
        assertEquals(2, tracker.stats().deleted(), "both handles stay open instead: nothing could reopen them");
        TooManyOpenFilesException full = assertThrows(TooManyOpenFilesException.class,
                () -> tracker.open(dir.resolve("another"), FLAGS, 0600));
        assertTrue(full.getMessage().contains("every descriptor is held for a lasting reason"), full.getMessage());
        assertArrayEquals(bytes("data"), readAt(h1, 4, 0));

        for (FsHandle h : List.of(h0, h1)) {
            h.close();
        }
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkWithAPoolKeepsTheDataReadableThroughSuspendedHandles() throws IOException {
        Path pool = dir.resolve("pool");
        FdTracker tracker = FdTracker.builder().capacity(1).unlinkedFilePool(pool).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("pooled"), 0, 6);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);
        assertFalse(Files.exists(pool), "the pool is created only when needed");

        h1.unlink();
        assertFalse(Files.exists(file));
        Path pooled = pool.resolve(UnlinkedFilePool.PREFIX + "0");
        assertContent("pooled", pooled);
        assertEquals(0, tracker.stats().anchors(), "no descriptor needed");

        assertArrayEquals(bytes("pooled"), readAt(h0, 6, 0));
        assertTrue(h1.isSuspended());
        h0.write(bytes("!"), 0, 1);
        assertArrayEquals(bytes("pooled!"), readAt(h1, 7, 0));
        assertTrue(h0.isSuspended());
        assertEquals(pooled.toString(), h0.location());
        assertEquals(file.toString(), h0.path(), "path() stays the name it was opened with");

        h0.close();
        assertTrue(Files.exists(pooled), "another handle is still on the file");
        h1.close();
        assertFalse(Files.exists(pool), "the last close deletes the file and the empty pool");
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkNeverRemovesAnotherFileNowAtTheOldName() throws IOException {
        Path pool = dir.resolve("pool");
        FdTracker tracker = FdTracker.builder().capacity(2).unlinkedFilePool(pool).build();
        Path file = dir.resolve("file");
        Path moved = dir.resolve("moved");
        FsHandle h = tracker.open(file, FLAGS, 0600);
        h.write(bytes("mine"), 0, 4);
        Files.move(file, moved);
        Files.write(file, bytes("someone else's"));

        FileSystemException e = assertThrows(FileSystemException.class, h::unlink);
        assertEquals(file.toString(), e.getFile());

        assertContent("someone else's", file);
        assertFalse(Files.exists(pool));
        h.close();
        assertContent("someone else's", file);
        assertContent("mine", moved);
        Files.delete(file);
        Files.delete(moved);
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkWithoutAPoolNeverRemovesAnotherFileNowAtTheOldName() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path file = dir.resolve("file");
        Path moved = dir.resolve("moved");
        FsHandle h = tracker.open(file, FLAGS, 0600);
        h.write(bytes("mine"), 0, 4);
        Files.move(file, moved);
        Files.write(file, bytes("someone else's"));

        FileSystemException e = assertThrows(FileSystemException.class, h::unlink);
        assertEquals(file.toString(), e.getFile());

        assertContent("someone else's", file);
        h.close();
        assertContent("someone else's", file);
        assertContent("mine", moved);
        Files.delete(file);
        Files.delete(moved);
        assertDirectoryEmpty(dir);
    }

    @Test
    void poolNamesAlreadyTakenAreSkippedNeverReplaced() throws IOException {
        Path pool = dir.resolve("pool");
        Files.createDirectory(pool, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path taken = pool.resolve(UnlinkedFilePool.PREFIX + "0");
        Files.write(taken, bytes("someone else's"));
        FdTracker tracker = FdTracker.builder().capacity(2).unlinkedFilePool(pool).build();
        FsHandle h = tracker.open(dir.resolve("file"), FLAGS, 0600);
        h.write(bytes("mine"), 0, 4);

        h.unlink();

        Path mine = pool.resolve(UnlinkedFilePool.PREFIX + "1");
        assertContent("someone else's", taken);
        assertContent("mine", mine);
        h.close();
        assertFalse(Files.exists(mine));
        assertContent("someone else's", taken);
        Files.delete(taken);
        Files.delete(pool);
        assertDirectoryEmpty(dir);
    }

    @Test
    void filesLeftInThePoolByAProcessThatNoLongerRunsAreDeletedByTheNextTrackerAndNothingElse() throws IOException {
        Path pool = dir.resolve("pool");
        Files.createDirectory(pool, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        long pid = ProcessHandle.current().pid();
        String start = UnlinkedFilePool.startTime("self");
        Path killed = pool.resolve("fdcap-" + Integer.MAX_VALUE + "-12345-3"); // above any pid_max: no such process
        Path reused = pool.resolve("fdcap-" + pid + "-" + (Long.parseLong(start) - 1) + "-0"); // this pid, earlier
        Path alive = pool.resolve("fdcap-" + pid + "-" + start + "-900"); // this very process
        Path notOurs = pool.resolve("notes.txt");
        for (Path p : List.of(killed, reused, alive, notOurs)) {
            Files.write(p, bytes("x"));
        }

        FdTracker.builder().capacity(1).unlinkedFilePool(pool).build().destroy();

        assertFalse(Files.exists(killed), "left by a process that no longer runs");
        assertFalse(Files.exists(reused), "left by an earlier process with the same pid");
        assertTrue(Files.exists(alive), "a running process's file is never touched");
        assertTrue(Files.exists(notOurs), "a name not of the pool's own form is never touched");
        Files.delete(alive);
        Files.delete(notOurs);
        Files.delete(pool);
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkWithAPoolOnAnotherFilesystemKeepsTheFileThroughAnAnchorInstead() throws IOException {
        Path otherFs = Files.createTempDirectory(Path.of("/dev/shm"), "fdcap-pool-");
        try {
            Path pool = otherFs.resolve("pool");
            FdTracker tracker = FdTracker.builder().capacity(2).unlinkedFilePool(pool).build();
            Path file = dir.resolve("file");
            FsHandle h = tracker.open(file, FLAGS, 0600);
            h.write(bytes("stays"), 0, 5);

            h.unlink();

            assertFalse(Files.exists(file));
            assertFalse(Files.exists(pool), "the pool directory created for it was removed");
            assertEquals(1, tracker.stats().anchors());
            FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
            assertTrue(h.isSuspended(), "suspended: its file is reachable through the anchor");
            assertArrayEquals(bytes("stays"), readAt(h, 5, 0));
            h.close();
            other.close();
            assertEquals(0, tracker.stats().anchors());
            assertEquals(baseline, openInProcess());
            Files.delete(dir.resolve("other"));
            assertDirectoryEmpty(dir);
        } finally {
            Files.deleteIfExists(otherFs.resolve("pool"));
            Files.delete(otherFs);
        }
    }

    @Test
    void aPoolTheTrackerCreatesIsClosedToOtherUsers() throws IOException {
        Path pool = dir.resolve("pool");
        FdTracker tracker = FdTracker.builder().capacity(2).unlinkedFilePool(pool).build();
        FsHandle h = tracker.open(dir.resolve("file"), FLAGS, 0644);

        h.unlink();

        assertEquals(0700, mode(pool));
        assertEquals(JnrSystemCalls.geteuid(), Files.getAttribute(pool, "unix:uid"));
        h.close();
        assertFalse(Files.exists(pool));
    }

    @Test
    void aPoolThatIsASymbolicLinkIsNeverFollowedAndUnlinkAnchorsTheFileInstead() throws IOException {
        Path target = Files.createDirectory(dir.resolve("elsewhere"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path pool = Files.createSymbolicLink(dir.resolve("pool"), target);
        assertUnlinkWorksWithoutThePool(pool);
        assertTrue(Files.isSymbolicLink(pool), "the link was removed");
        assertDirectoryEmpty(target);
    }

    @Test
    void aPoolOpenToOtherUsersIsNotUsed() throws IOException {
        Path pool = Files.createDirectory(dir.resolve("pool"));
        Files.setAttribute(pool, "unix:mode", 01777);
        assertUnlinkWorksWithoutThePool(pool);
        assertDirectoryEmpty(pool);
        assertEquals(01777, (Integer) Files.getAttribute(pool, "unix:mode") & 07777, "the pool's mode was changed");
    }

    @Test
    void aPoolOfAnotherUserIsNotUsedNorRemoved() throws IOException {
        assumeTrue(JnrSystemCalls.geteuid() == 0, "needs root to give a directory to another user");
        Path pool = Files.createDirectory(dir.resolve("pool"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(pool, "unix:uid", 65534);
        assertUnlinkWorksWithoutThePool(pool);
        assertTrue(Files.isDirectory(pool), "another user's (empty) pool was removed");
        assertDirectoryEmpty(pool);
    }

    /** With an unusable pool, unlink works as without one: name gone, data kept through an anchor. */
    private void assertUnlinkWorksWithoutThePool(Path pool) throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).unlinkedFilePool(pool).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("kept"), 0, 4);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);

        h1.unlink();

        assertFalse(Files.exists(file), "the name is gone at once");
        assertEquals(1, tracker.stats().anchors(), "kept through a descriptor of the tracker's");
        assertArrayEquals(bytes("kept"), readAt(h0, 4, 0));
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        FsHandle other2 = tracker.open(dir.resolve("other2"), FLAGS, 0600);
        assertTrue(h0.isSuspended() && h1.isSuspended(), "an unlinked file's handles are suspended like any");
        assertArrayEquals(bytes("kept"), readAt(h1, 4, 0));
        h0.close();
        h1.close();
        other.close();
        other2.close();
        assertEquals(baseline, openInProcess());
        Files.delete(dir.resolve("other"));
        Files.delete(dir.resolve("other2"));
        tracker.destroy();
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode") & 0777;
    }
}
