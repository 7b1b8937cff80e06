package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertContent;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.fdcap.core.Descriptors.readAt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FsHandle#unlink()}: the name goes at once, the data stays readable and writable through
 * every handle on the file until the last one closes. With a pool the file waits there (and
 * suspended handles reopen it from there); without one its handles are kept open.
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
    void unlinkWithoutAPoolKeepsEveryHandleOnTheFileOpen() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("unlinked data"), 0, 13);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);
        FsHandle g = tracker.open(dir.resolve("g"), FLAGS, 0600);
        FsHandle x = tracker.open(dir.resolve("x"), FLAGS, 0600);
        assertTrue(h0.isSuspended());

        h1.unlink();

        assertFalse(Files.exists(file), "the name is gone at once");
        assertFalse(h0.isSuspended(), "every handle on the file was restored");
        assertFalse(h1.isSuspended());
        assertEquals(baseline + 3, openInProcess());
        // The two handles hold two of the three slots for good; the others share the last one.
        for (int round = 0; round < 3; round++) {
            g.size();
            x.size();
        }
        assertFalse(h0.isSuspended());
        assertFalse(h1.isSuspended());
        assertArrayEquals(bytes("unlinked data"), readAt(h1, 13, 0));
        h1.write(bytes("U"), 0, 1, 0);
        assertArrayEquals(bytes("Unlinked data"), readAt(h0, 13, 0), "both handles see one file");
        assertEquals(0, tracker.stats().errors());

        assertThrows(NoSuchFileException.class, h0::unlink, "already unlinked");
        FsHandle fresh = tracker.open(file, FLAGS, 0600);
        assertEquals(0, fresh.size(), "a new file under the old name");

        for (FsHandle h : List.of(h0, h1, g, x, fresh)) {
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
    void unlinkWithoutAPoolThatCannotKeepEveryHandleOpenChangesNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("data"), 0, 4);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);
        assertTrue(h0.isSuspended());

        assertThrows(TooManyOpenFilesException.class, h1::unlink, "two handles to keep open, room for one");

        assertContent("data", file);
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
        assertContent("pooled", pool.resolve("0"));

        assertArrayEquals(bytes("pooled"), readAt(h0, 6, 0));
        assertTrue(h1.isSuspended());
        h0.write(bytes("!"), 0, 1);
        assertArrayEquals(bytes("pooled!"), readAt(h1, 7, 0));
        assertTrue(h0.isSuspended());
        assertEquals(pool.resolve("0").toString(), h0.location());
        assertEquals(file.toString(), h0.path(), "path() stays the name it was opened with");

        h0.close();
        assertTrue(Files.exists(pool.resolve("0")), "another handle is still on the file");
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
        Files.write(pool.resolve("0"), bytes("someone else's"));
        FdTracker tracker = FdTracker.builder().capacity(2).unlinkedFilePool(pool).build();
        FsHandle h = tracker.open(dir.resolve("file"), FLAGS, 0600);
        h.write(bytes("mine"), 0, 4);

        h.unlink();

        assertContent("someone else's", pool.resolve("0"));
        assertContent("mine", pool.resolve("1"));
        h.close();
        assertFalse(Files.exists(pool.resolve("1")));
        assertContent("someone else's", pool.resolve("0"));
        Files.delete(pool.resolve("0"));
        Files.delete(pool);
        assertDirectoryEmpty(dir);
    }

    @Test
    void unlinkIntoAPoolOnAnotherFilesystemFailsAndChangesNothing() throws IOException {
        Path otherFs = Files.createTempDirectory(Path.of("/dev/shm"), "fdcap-pool-");
        try {
            Path pool = otherFs.resolve("pool");
            FdTracker tracker = FdTracker.builder().capacity(2).unlinkedFilePool(pool).build();
            Path file = dir.resolve("file");
            FsHandle h = tracker.open(file, FLAGS, 0600);
            h.write(bytes("stays"), 0, 5);

            assertThrows(IOException.class, h::unlink);

            assertContent("stays", file);
            assertFalse(Files.exists(pool), "the pool directory created for it was removed");
            assertArrayEquals(bytes("stays"), readAt(h, 5, 0));
            Files.delete(file);
            h.close();
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
        assertEquals(Posix.geteuid(), Files.getAttribute(pool, "unix:uid"));
        h.close();
        assertFalse(Files.exists(pool));
    }

    @Test
    void aPoolThatIsASymbolicLinkIsNeverFollowedAndUnlinkKeepsTheHandlesOpenInstead() throws IOException {
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
        assumeTrue(Posix.geteuid() == 0, "needs root to give a directory to another user");
        Path pool = Files.createDirectory(dir.resolve("pool"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(pool, "unix:uid", 65534);
        assertUnlinkWorksWithoutThePool(pool);
        assertTrue(Files.isDirectory(pool), "another user's (empty) pool was removed");
        assertDirectoryEmpty(pool);
    }

    /** With an unusable pool, unlink works as without one: name gone, data kept through the handles. */
    private void assertUnlinkWorksWithoutThePool(Path pool) throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).unlinkedFilePool(pool).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("kept"), 0, 4);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);

        h1.unlink();

        assertFalse(Files.exists(file), "the name is gone at once");
        assertArrayEquals(bytes("kept"), readAt(h0, 4, 0));
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        FsHandle other2 = tracker.open(dir.resolve("other2"), FLAGS, 0600);
        assertFalse(h0.isSuspended() || h1.isSuspended(), "an unlinked file's handles were suspended");
        assertArrayEquals(bytes("kept"), readAt(h1, 4, 0));
        h0.close();
        h1.close();
        other.close();
        other2.close();
        Files.delete(dir.resolve("other"));
        Files.delete(dir.resolve("other2"));
        tracker.destroy();
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode") & 0777;
    }
}
