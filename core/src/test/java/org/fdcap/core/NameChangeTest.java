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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that change under open files, as the program itself changes them (announced to the
 * tracker with {@link FdTracker#beforeRemove} / {@link FdTracker#beforeRename}, as the agent does
 * for every delete and rename), and locks that end: the handles stay on the same data exactly as
 * open descriptors would, and stay suspendable; nothing is pinned for good.
 */
class NameChangeTest {
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

    private static void rename(FdTracker tracker, Path from, Path to, StandardCopyOption... options) throws IOException {
        NameChange change = tracker.beforeRename(from.toString(), to.toString());
        try {
            Files.move(from, to, options);
        } finally {
            change.done();
        }
    }

    private static void delete(FdTracker tracker, Path path) throws IOException {
        NameChange change = tracker.beforeRemove(path.toString());
        try {
            Files.delete(path);
        } finally {
            change.done();
        }
    }

    @Test
    void aRenamedFileIsReopenedByItsNewNameAndStaysSuspendable() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        FsHandle h = tracker.open(a, FLAGS, 0600);
        h.write(bytes("renamed"), 0, 7);
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        assertTrue(h.isSuspended());

        rename(tracker, a, b);

        assertEquals(b.toString(), h.location());
        assertArrayEquals(bytes("renamed"), readAt(h, 7, 0));
        other.size();
        assertTrue(h.isSuspended(), "suspended again: a rename pins nothing");
        h.write(bytes("R"), 0, 1, 0);
        assertContent("Renamed", b);
        assertEquals(0, tracker.stats().held());
        assertEquals(0, tracker.stats().errors());
        h.close();
        other.close();
        assertEquals(baseline, openInProcess());
        Files.delete(b);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void filesUnderARenamedDirectoryAreReopenedThroughItsNewName() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path old = Files.createDirectory(dir.resolve("old"));
        FsHandle h = tracker.open(old.resolve("f"), FLAGS, 0600);
        h.write(bytes("inside"), 0, 6);
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        assertTrue(h.isSuspended());

        Path now = dir.resolve("new");
        rename(tracker, old, now);

        assertArrayEquals(bytes("inside"), readAt(h, 6, 0));
        assertEquals(now.resolve("f").toString(), h.location());
        assertEquals(0, tracker.stats().errors());
        h.close();
        other.close();
        Files.delete(now.resolve("f"));
        Files.delete(now);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void aReplacedFilesHandlesKeepTheOldDataThroughOneAnchorAndNewOpensSeeTheNew() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path file = dir.resolve("file");
        Path temp = dir.resolve("temp");
        List<FsHandle> old = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            old.add(tracker.open(file, FLAGS, 0600));
        }
        old.get(0).write(bytes("old data"), 0, 8);
        Files.write(temp, bytes("new data"));

        rename(tracker, temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertEquals(1, tracker.stats().anchors());
        FsHandle fresh = tracker.open(file, FLAGS, 0600);
        for (int round = 0; round < 2; round++) {
            for (FsHandle h : old) {
                assertArrayEquals(bytes("old data"), readAt(h, 8, 0));
                assertArrayEquals(bytes("new data"), readAt(fresh, 8, 0));
            }
        }
        assertTrue(tracker.stats().suspensions() > 4, tracker.stats().toString());
        assertEquals(0, tracker.stats().errors(), String.valueOf(tracker.lastError()));
        for (FsHandle h : old) {
            h.close();
        }
        assertEquals(0, tracker.stats().anchors());
        fresh.close();
        assertEquals(baseline, openInProcess());
        assertContent("new data", file);
        Files.delete(file);
        assertDirectoryEmpty(dir);
    }

    @Test
    void aDeletedFileWithAPoolCostsNoDescriptorAndLeavesNothingBehind() throws IOException {
        Path pool = dir.resolve("pool");
        FdTracker tracker = FdTracker.builder().capacity(1).unlinkedFilePool(pool).build();
        Path file = dir.resolve("file");
        FsHandle h0 = tracker.open(file, FLAGS, 0600);
        h0.write(bytes("kept"), 0, 4);
        FsHandle h1 = tracker.open(file, FLAGS, 0600);

        delete(tracker, file);

        assertFalse(Files.exists(file));
        assertEquals(0, tracker.stats().anchors());
        assertArrayEquals(bytes("kept"), readAt(h0, 4, 0));
        assertArrayEquals(bytes("kept"), readAt(h1, 4, 0));
        assertTrue(h0.isSuspended(), "capacity 1: the two take turns");
        h0.close();
        h1.close();
        assertFalse(Files.exists(pool), "the pool file went with the last handle, and the pool with it");
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void anchorsTakeAtMostHalfTheCapacityAndBeyondARemovalIsRefusedWithTheFileKept() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(4).build();
        List<FsHandle> handles = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            Path file = dir.resolve("f" + f);
            for (int i = 0; i < 2; i++) {
                handles.add(tracker.open(file, FLAGS, 0600));
            }
        }
        FsHandle filler = tracker.open(dir.resolve("filler"), FLAGS, 0600); // suspends some of them

        delete(tracker, dir.resolve("f0"));
        delete(tracker, dir.resolve("f1"));
        assertEquals(2, tracker.stats().anchors(), "half the capacity");

        IOException refused = assertThrows(TooManyOpenFilesException.class,
                () -> tracker.beforeRemove(dir.resolve("f2").toString()));

        assertTrue(refused.getMessage().contains("half the capacity"), refused.getMessage());
        assertTrue(Files.exists(dir.resolve("f2")), "not removed: its handles still reopen it by name");
        for (FsHandle h : handles) {
            h.write(bytes("x"), 0, 1, 0);
            filler.size();
        }
        assertEquals(0, tracker.stats().errors(), String.valueOf(tracker.lastError()));
        for (FsHandle h : handles) {
            h.close();
        }
        filler.close();
        assertEquals(0, tracker.stats().anchors());
        assertEquals(baseline, openInProcess());
        Files.delete(dir.resolve("f2"));
        Files.delete(dir.resolve("filler"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void aFailedDeleteUndoesWhatWasPrepared() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path file = dir.resolve("file");
        FsHandle h = tracker.open(file, FLAGS, 0600);
        h.write(bytes("still here"), 0, 10);

        NameChange change = tracker.beforeRemove(file.toString());
        assertEquals(1, tracker.stats().anchors(), "prepared before the delete");
        change.done(); // the delete did not happen

        assertEquals(0, tracker.stats().anchors());
        assertEquals(file.toString(), h.location());
        h.close();
        assertEquals(baseline, openInProcess());
        Files.delete(file);
        assertDirectoryEmpty(dir);
    }

    @Test
    void aRestoreWhileTheProgramRenamesTheFileWaitsForTheRenameInsteadOfFailing() throws Exception {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        FsHandle h = tracker.open(a, FLAGS, 0600);
        h.write(bytes("moving"), 0, 6);
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        assertTrue(h.isSuspended());

        NameChange change = tracker.beforeRename(a.toString(), b.toString());
        Files.move(a, b); // the name is gone, and the tracker not yet told where it went
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                return readAt(h, 6, 0);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> read.get(200, TimeUnit.MILLISECONDS), "waits for the rename");
        change.done();

        assertArrayEquals(bytes("moving"), read.get(10, TimeUnit.SECONDS));
        assertEquals(0, tracker.stats().errors(), String.valueOf(tracker.lastError()));
        h.close();
        other.close();
        Files.delete(b);
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void aFileRenamedBehindTheTrackersBackIsReopenedThroughAnotherOpenDescriptorOfIt() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path a = dir.resolve("a");
        FsHandle h0 = tracker.open(a, FLAGS, 0600);
        h0.write(bytes("sibling"), 0, 7);
        FsHandle h1 = tracker.open(a, FLAGS, 0600);
        FsHandle other = tracker.open(dir.resolve("other"), FLAGS, 0600);
        assertTrue(h0.isSuspended());
        h1.acquire(); // h1 stays open

        Files.move(a, dir.resolve("b")); // not announced: as another process would

        assertArrayEquals(bytes("sibling"), readAt(h0, 7, 0));
        h1.release();
        h0.close();
        h1.close();
        other.close();
        Files.delete(dir.resolve("b"));
        Files.delete(dir.resolve("other"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void aLockKeepsTheFilesDescriptorsOpenOnlyWhileItIsHeld() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path file = dir.resolve("locked");
        FsHandle h = tracker.open(file, FLAGS, 0600);
        int fd = h.acquire();
        LockHold hold = tracker.lockTaken(fd, file.toString());
        h.release();

        for (int i = 0; i < 4; i++) {
            tracker.open(dir.resolve("f" + i), FLAGS, 0600).close();
            assertFalse(h.isSuspended(), "closing it would drop the lock");
        }
        assertEquals(1, tracker.stats().locked());
        FsHandle second = tracker.open(file, FLAGS, 0600); // a second handle on the locked file
        assertThrows(TooManyOpenFilesException.class, () -> tracker.open(dir.resolve("x"), FLAGS, 0600),
                "both slots are held by the lock");

        hold.release();
        hold.release(); // idempotent

        assertEquals(0, tracker.stats().locked());
        FsHandle after = tracker.open(dir.resolve("x"), FLAGS, 0600);
        assertTrue(h.isSuspended() || second.isSuspended(), "suspendable again once unlocked");
        for (FsHandle x : List.of(h, second, after)) {
            x.close();
        }
        assertEquals(baseline, openInProcess());
        for (String name : new String[] {"locked", "f0", "f1", "f2", "f3", "x"}) {
            Files.delete(dir.resolve(name));
        }
        assertDirectoryEmpty(dir);
    }

    @Test
    void anOpenFailsAtOnceWhenEveryDescriptorIsHeldForALastingReasonAndSaysSo() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        FsHandle escaped = tracker.open(dir.resolve("escaped"), FLAGS, 0600);
        escaped.pinForGood();
        FsHandle locked = tracker.open(dir.resolve("locked"), FLAGS, 0600);
        int fd = locked.acquire();
        LockHold hold = tracker.lockTaken(fd, "locked");
        locked.release();

        TooManyOpenFilesException e = assertThrows(TooManyOpenFilesException.class,
                () -> tracker.open(dir.resolve("more"), FLAGS, 0600));

        assertTrue(e.getMessage().contains("every descriptor is held for a lasting reason"), e.getMessage());
        assertEquals(2, tracker.stats().held());
        assertEquals(1, tracker.stats().escaped());
        assertEquals(1, tracker.stats().locked());
        assertFalse(Files.exists(dir.resolve("more")), "nothing was created");
        hold.release();
        escaped.close(); // close ends a pin for good
        locked.close();
        assertEquals(baseline, openInProcess());
        Files.delete(dir.resolve("escaped"));
        Files.delete(dir.resolve("locked"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void aSlotReservedBeforeAnOpenIsWhatTheAdoptionUsesSoTheCapacityIsNeverExceeded() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        FsHandle first = tracker.open(dir.resolve("first"), FLAGS, 0600);

        FdTracker.Slot slot = tracker.reserveSlot();

        assertTrue(first.isSuspended(), "room was made before the open");
        assertEquals(baseline, openInProcess());
        int fd = Descriptors.POSIX.open(dir.resolve("second").toString(),
                jnr.constants.platform.OpenFlags.O_RDWR.intValue() | jnr.constants.platform.OpenFlags.O_CREAT.intValue(),
                0600);
        FsHandle second = tracker.adopt(fd, dir.resolve("second").toString(), OpenFlags.O_RDWR, new Binding(), slot);
        assertEquals(0, tracker.stats().overshoots());
        assertThrows(IllegalArgumentException.class, () -> tracker.adopt(fd, dir.resolve("second").toString(),
                OpenFlags.O_RDWR, new Binding(), slot), "a slot is used once");
        second.close();
        first.close();
        tracker.reserveSlot().release();
        assertEquals(0, tracker.stats().active());
        assertEquals(baseline, openInProcess());
        Files.delete(dir.resolve("first"));
        Files.delete(dir.resolve("second"));
        assertDirectoryEmpty(dir);
    }

    /** A binding that closes the descriptor itself (as an owner without a descriptor object would). */
    private static final class Binding implements FdBinding {
        @Override
        public boolean mayDetach() {
            return true;
        }

        @Override
        public void detach(int fd) throws IOException {
            Descriptors.POSIX.close(fd);
        }

        @Override
        public void attach(int fd) {
        }
    }
}
