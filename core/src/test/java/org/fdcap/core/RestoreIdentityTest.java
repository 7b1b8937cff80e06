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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore reopens the same file or fails: files deleted, replaced or renamed behind the tracker's
 * back while a handle is suspended give {@link FileChangedException}, never another file's data;
 * files deleted or replaced while a handle is open are never suspended; files renamed while open
 * are followed.
 */
class RestoreIdentityTest {
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

    private FsHandle openOn(FdTracker tracker, Path file, String content) throws IOException {
        Files.write(file, bytes(content));
        return tracker.open(file, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
    }

    private void assertNoDescriptorLeft(FdTracker tracker) {
        assertEquals(baseline + tracker.stats().open(), openInProcess(), "descriptors: only the open handles'");
    }

    @Test
    void restoreFailsWhenFileWasReplaced() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        FsHandle h = openOn(tracker, file, "original");
        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        assertTrue(h.isSuspended());
        Path replacement = dir.resolve("replacement");
        Files.write(replacement, bytes("replacement"));
        Files.move(replacement, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        FileChangedException e = assertThrows(FileChangedException.class, h::acquire);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertThrows(FileChangedException.class, () -> h.write(bytes("XXXX"), 0, 4, 0));
        assertThrows(FileChangedException.class, () -> h.read(new byte[4], 0, 4));

        assertContent("replacement", file);
        assertTrue(h.isSuspended(), "the handle stays suspended");
        assertEquals(0, h.pins());
        TrackerStats stats = tracker.stats();
        assertEquals(3, stats.errors());
        assertEquals(3, stats.restores());
        assertEquals(0, stats.pinned());
        assertNoDescriptorLeft(tracker);
        assertEquals(5, other.size(), "the failed restores gave their slot back");

        h.close();
        other.close();
        assertEquals(baseline, openInProcess());
        Files.delete(file);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void restoreFailsWhenFileWasRecreatedWithTheSameInodeNumber() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        FsHandle h = openOn(tracker, file, "original");
        Object inode = Files.getAttribute(file, "unix:ino");
        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        assertTrue(h.isSuspended());
        // Another program deletes the file and writes a new one at the same path. ext4 (and most
        // filesystems with inode tables) give the new file the number just freed: device and
        // inode alone would take it for the old one. Try a few times to get that case.
        boolean sameNumber = false;
        for (int attempt = 0; attempt < 20 && !sameNumber; attempt++) {
            Files.delete(file);
            Files.write(file, bytes("recreated"));
            sameNumber = inode.equals(Files.getAttribute(file, "unix:ino"));
        }

        FileChangedException e = assertThrows(FileChangedException.class, h::acquire,
                "never the new file's data (same inode number: " + sameNumber + ")");
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertContent("recreated", file);
        assertTrue(h.isSuspended());
        assertNoDescriptorLeft(tracker);

        h.close();
        other.close();
        assertEquals(baseline, openInProcess());
        Files.delete(file);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void restoreFailsWhenFileWasDeletedAndDoesNotRecreateIt() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        FsHandle h = openOn(tracker, file, "original");
        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        Files.delete(file);

        FileChangedException e = assertThrows(FileChangedException.class, h::acquire);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(Files.exists(file), "O_CREAT is not re-applied on restore");
        assertTrue(h.isSuspended());
        assertNoDescriptorLeft(tracker);

        h.close();
        other.close();
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void restoreFailsWhenFileWasRenamedWhileSuspended() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        Path moved = dir.resolve("moved");
        FsHandle h = openOn(tracker, file, "original");
        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        Files.move(file, moved);

        FileChangedException e = assertThrows(FileChangedException.class, () -> h.write(bytes("X"), 0, 1, 0));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(Files.exists(file));
        assertContent("original", moved);
        assertNoDescriptorLeft(tracker);

        h.close();
        other.close();
        Files.delete(moved);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void restoreNeverFollowsAReusedInodeNumberToAnotherFile() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).unlinkedFilePool(dir.resolve("pool")).build();
        Path file = dir.resolve("a");
        FsHandle h = openOn(tracker, file, "secret of a");
        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        assertTrue(h.isSuspended());
        Object inode = Files.getAttribute(file, "unix:ino");
        Files.delete(file);
        // Most disk filesystems (ext4, xfs) give a freed inode number to the next file created in
        // the same directory; look for it so that the new file has the deleted one's identity.
        Path reused = null;
        for (int i = 0; i < 64 && reused == null; i++) {
            Path candidate = dir.resolve("b" + i);
            Files.write(candidate, bytes("another file"));
            if (inode.equals(Files.getAttribute(candidate, "unix:ino"))) {
                reused = candidate;
            } else {
                Files.delete(candidate);
            }
        }
        Path b = reused != null ? reused : dir.resolve("b");
        if (reused == null) {
            Files.write(b, bytes("another file"));
        }
        FsHandle hb = tracker.open(b, OpenFlags.O_RDWR, 0);

        assertThrows(FileChangedException.class, () -> h.read(new byte[12], 0, 12, 0));
        assertThrows(FileChangedException.class, () -> h.write(bytes("XXXX"), 0, 4, 0));
        assertContent("another file", b);
        assertArrayEquals(bytes("another file"), readAt(hb, 12, 0));

        // The new file's handles still share one entry once the stale one is gone.
        h.close();
        FsHandle hb2 = tracker.open(b, OpenFlags.O_RDWR, 0);
        hb2.unlink();
        assertArrayEquals(bytes("another file"), readAt(hb, 12, 0), "restored from the pool");

        for (FsHandle handle : new FsHandle[] {other, hb, hb2}) {
            handle.close();
        }
        assertEquals(baseline, openInProcess());
        assertFalse(Files.exists(b));
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void fileDeletedWhileOpenIsNeverSuspended() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path file = dir.resolve("deleted");
        FsHandle deleted = openOn(tracker, file, "keep me");
        Files.delete(file);

        FsHandle b = openOn(tracker, dir.resolve("b"), "b");
        FsHandle c = openOn(tracker, dir.resolve("c"), "c");
        assertFalse(deleted.isSuspended(), "nothing could reopen a deleted file");
        assertTrue(b.isSuspended(), "the next least recently used handle is suspended instead");
        FsHandle d = openOn(tracker, dir.resolve("d"), "d");
        assertTrue(c.isSuspended());
        assertArrayEquals(bytes("b"), readAt(b, 1, 0));
        assertTrue(d.isSuspended());
        assertFalse(deleted.isSuspended());

        assertArrayEquals(bytes("keep me"), readAt(deleted, 7, 0));
        deleted.write(bytes(" too"), 0, 4, 7);
        assertArrayEquals(bytes("keep me too"), readAt(deleted, 11, 0));
        TrackerStats stats = tracker.stats();
        assertEquals(0, stats.errors(), "a refused suspension is not an error");
        assertEquals(2, stats.open());
        assertEquals(2, stats.suspended());
        assertEquals(baseline + 2, openInProcess());

        b.acquire();
        assertThrows(TooManyOpenFilesException.class, c::acquire,
                "the deleted file's handle holds its slot and the other one is pinned");
        b.release();

        for (FsHandle h : new FsHandle[] {deleted, b, c, d}) {
            h.close();
        }
        assertEquals(baseline, openInProcess());
        for (String name : new String[] {"b", "c", "d"}) {
            Files.delete(dir.resolve(name));
        }
        assertDirectoryEmpty(dir);
    }

    @Test
    void fileReplacedWhileOpenIsNeverSuspendedAndKeepsItsOwnData() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        FsHandle h = openOn(tracker, file, "original");
        Path replacement = dir.resolve("replacement");
        Files.write(replacement, bytes("replacement"));
        Files.move(replacement, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertThrows(TooManyOpenFilesException.class, () -> tracker.open(dir.resolve("other"),
                OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600), "the only handle cannot be suspended");
        assertFalse(Files.exists(dir.resolve("other")), "nothing was opened");
        assertFalse(h.isSuspended());
        assertArrayEquals(bytes("original"), readAt(h, 8, 0));
        h.write(bytes("ORIG"), 0, 4, 0);
        assertContent("replacement", file);

        h.close();
        Files.delete(file);
        assertDirectoryEmpty(dir);
    }

    @Test
    void fileRenamedWhileOpenIsFollowed() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        Path moved = dir.resolve("moved");
        FsHandle h = openOn(tracker, file, "0123456789");
        byte[] head = new byte[4];
        assertEquals(4, h.read(head, 0, 4));
        Files.move(file, moved);

        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        assertTrue(h.isSuspended(), "a renamed file can still be suspended");
        assertEquals(moved.toRealPath().toString(), h.location());

        byte[] next = new byte[3];
        assertEquals(3, h.read(next, 0, 3));
        assertArrayEquals(bytes("456"), next, "restored from the new name at the saved offset");
        h.write(bytes("xyz"), 0, 3);
        assertContent("0123456xyz", moved);
        assertFalse(Files.exists(file));
        assertEquals(0, tracker.stats().errors());

        h.close();
        other.close();
        Files.delete(moved);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void restoreAfterAFailedRestoreSucceedsOnceTheFileIsBack() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("a");
        Path aside = dir.resolve("aside");
        FsHandle h = openOn(tracker, file, "original");
        FsHandle other = openOn(tracker, dir.resolve("other"), "other");
        Files.move(file, aside);
        assertThrows(FileChangedException.class, h::acquire);

        Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE);
        assertArrayEquals(bytes("original"), readAt(h, 8, 0), "the same file (device and inode) is back");
        assertFalse(h.isSuspended());

        h.close();
        other.close();
        Files.delete(file);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }
}
