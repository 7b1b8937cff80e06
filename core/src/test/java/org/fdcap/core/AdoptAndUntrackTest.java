package org.fdcap.core;

import static org.fdcap.core.Descriptors.POSIX;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Descriptors opened elsewhere ({@link FdTracker#adopt}) are suspended and restored through their
 * {@link FdBinding}; {@link FsHandle#untrack()} forgets a handle without closing its descriptor.
 */
class AdoptAndUntrackTest {
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

    /** Stands for the owner of the descriptor (a JDK FileDescriptor, say): records what it was told. */
    private static class RecordingBinding implements FdBinding {
        final List<Integer> detached = new ArrayList<>();
        final List<Integer> attached = new ArrayList<>();
        IOException detachFailure;
        boolean refuse;

        @Override
        public boolean mayDetach() {
            return !refuse;
        }

        @Override
        public void detach(int fd) throws IOException {
            if (detachFailure != null) {
                throw detachFailure;
            }
            detached.add(fd);
            if (POSIX.close(fd) != 0) {
                throw new IOException("close(" + fd + "): errno " + POSIX.errno());
            }
        }

        @Override
        public void attach(int fd) {
            attached.add(fd);
        }
    }

    private int rawOpen(Path file, String content) {
        int fd = POSIX.open(file.toString(), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        assertTrue(fd >= 0, "open " + file + ": errno " + POSIX.errno());
        Descriptors.writeFully(fd, bytes(content));
        return fd;
    }

    private void deleteAll(String... names) throws IOException {
        for (String name : names) {
            Files.delete(dir.resolve(name));
        }
        assertDirectoryEmpty(dir);
    }

    @Test
    void aBindingThatMayNotDetachIsPassedOverWithoutAnError() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        Path goingFile = dir.resolve("going");
        RecordingBinding going = new RecordingBinding();
        going.refuse = true;
        FsHandle refused = tracker.adopt(rawOpen(goingFile, "g"), goingFile, OpenFlags.O_RDWR, going);
        Path stayingFile = dir.resolve("staying");
        RecordingBinding staying = new RecordingBinding();
        FsHandle victim = tracker.adopt(rawOpen(stayingFile, "s"), stayingFile, OpenFlags.O_RDWR, staying);

        FsHandle third = tracker.open(dir.resolve("third"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        assertFalse(refused.isSuspended(), "the least recently used handle refused, quietly");
        assertTrue(victim.isSuspended(), "the next one was suspended instead");
        assertEquals(List.of(), going.detached);
        assertEquals(0, tracker.stats().errors(), "a refusal is not an error");
        assertEquals(baseline + 2, openInProcess());

        third.close();
        victim.close();
        going.refuse = false;
        refused.close();
        assertEquals(baseline, openInProcess());
        assertTrue(tracker.destroy().isEmpty());
        deleteAll("going", "staying", "third");
    }

    @Test
    void adoptedDescriptorIsSuspendedThroughItsBindingAndRestoredWithANewOne() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("adopted");
        int fd = rawOpen(file, "abcdef");
        assertEquals(2, POSIX.lseekLong(fd, 2, 0));
        RecordingBinding binding = new RecordingBinding();
        FsHandle h = tracker.adopt(fd, file, OpenFlags.O_RDWR | OpenFlags.O_CREAT, binding);
        assertEquals(fd, h.acquire(), "the adopted descriptor itself");
        h.release();
        assertEquals(1, tracker.stats().open());

        FsHandle other = tracker.open(dir.resolve("other"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        assertTrue(h.isSuspended());
        assertEquals(List.of(fd), binding.detached, "suspension detached the descriptor");
        assertEquals(baseline + 1, openInProcess(), "and closed it");

        int restored = h.acquire();
        assertEquals(List.of(restored), binding.attached, "restore attached the new descriptor");
        byte[] two = new byte[2];
        assertEquals(2, POSIX.read(restored, two, 2));
        assertArrayEquals(bytes("cd"), two, "at the saved offset");
        h.release();
        assertTrue(other.isSuspended());

        h.close();
        assertEquals(List.of(fd, restored), binding.detached, "close goes through the binding too");
        other.close();
        assertEquals(baseline, openInProcess());
        assertTrue(tracker.destroy().isEmpty());
        deleteAll("adopted", "other");
    }

    @Test
    void bindingThatCannotDetachKeepsTheHandleOpenAndCountsAnError() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("adopted");
        int fd = rawOpen(file, "data");
        RecordingBinding binding = new RecordingBinding();
        binding.detachFailure = new IOException("owner busy");
        FsHandle h = tracker.adopt(fd, file, OpenFlags.O_RDWR, binding);

        assertThrows(TooManyOpenFilesException.class,
                () -> tracker.open(dir.resolve("other"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600));
        assertFalse(Files.exists(dir.resolve("other")));
        assertFalse(h.isSuspended());
        assertTrue(tracker.stats().errors() >= 1);
        assertSame(binding.detachFailure, tracker.lastError());
        assertEquals(0, tracker.stats().suspensions());
        assertArrayEquals(bytes("data"), Descriptors.readAt(h, 4, 0), "still attached and usable");

        binding.detachFailure = null;
        h.close();
        assertEquals(List.of(fd), binding.detached);
        assertEquals(baseline, openInProcess());
        deleteAll("adopted");
    }

    /**
     * The agent's owner is collected between its yes to {@link FdBinding#mayDetach} and the
     * detach (the background thread suspends while the program drops the object): the detach
     * fails, and the owner now says no. A refusal, as if it had said no at once: no error.
     */
    @Test
    void aDetachThatFailsBecauseTheOwnerWentAwayMeanwhileIsARefusalNotAnError() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("adopted");
        int fd = rawOpen(file, "data");
        boolean[] collected = {false};
        RecordingBinding binding = new RecordingBinding() {
            @Override
            public void detach(int fd) throws IOException {
                if (!collected[0]) {
                    collected[0] = true;
                    refuse = true; // gone: from now on mayDetach() says no
                    throw new IOException("the owner was collected");
                }
                super.detach(fd);
            }
        };
        FsHandle h = tracker.adopt(fd, file, OpenFlags.O_RDWR, binding);

        assertThrows(TooManyOpenFilesException.class,
                () -> tracker.open(dir.resolve("other"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600));
        assertFalse(h.isSuspended());
        assertEquals(0, tracker.stats().errors(), () -> "counted as an error: " + tracker.lastError());
        assertEquals(0, tracker.stats().suspensions());

        assertArrayEquals(bytes("data"), Descriptors.readAt(h, 4, 0), "still attached and usable");
        binding.refuse = false;
        h.close();
        assertEquals(baseline, openInProcess());
        deleteAll("adopted");
    }

    @Test
    void adoptionBeyondTheCapacityIsAcceptedAndCountedAsAnOvershoot() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        FsHandle pinned = tracker.open(dir.resolve("pinned"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        pinned.acquire();
        int fd = rawOpen(dir.resolve("adopted"), "x");

        FsHandle h = tracker.adopt(fd, dir.resolve("adopted"), OpenFlags.O_RDWR, new RecordingBinding());

        TrackerStats stats = tracker.stats();
        assertEquals(1, stats.overshoots());
        assertEquals(2, stats.open());
        assertEquals(2, stats.active());
        assertFalse(h.isSuspended());
        pinned.release();
        h.close();
        pinned.close();
        assertEquals(baseline, openInProcess());
        // Both slots came back: one open fits without a suspension.
        FsHandle again = tracker.open(dir.resolve("pinned"), OpenFlags.O_RDWR, 0);
        assertEquals(0, tracker.stats().suspensions());
        again.close();
        deleteAll("pinned", "adopted");
    }

    @Test
    void untrackForgetsTheHandleButLeavesItsDescriptorOpen() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path file = dir.resolve("adopted");
        int fd = rawOpen(file, "abc");
        RecordingBinding binding = new RecordingBinding();
        FsHandle h = tracker.adopt(fd, file, OpenFlags.O_RDWR, binding);

        assertEquals(fd, h.acquire());
        h.untrack();

        assertTrue(h.isClosed());
        assertEquals(0, h.pins(), "untrack consumed the caller's pin");
        assertEquals(List.of(), binding.detached, "the owner closes it, not the tracker");
        TrackerStats stats = tracker.stats();
        assertEquals(0, stats.open());
        assertEquals(0, stats.pinned());
        assertEquals(baseline + 1, openInProcess());
        Descriptors.writeFully(fd, bytes("def"));
        Descriptors.assertContent("abcdef", file);

        FsHandle other = tracker.open(dir.resolve("other"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        assertEquals(0, tracker.stats().suspensions(), "the untracked descriptor's slot is free");
        assertThrows(IllegalStateException.class, h::acquire);
        assertTrue(tracker.destroy().handles().contains(new LeakReport.LeakedHandle(other.path(), "open", 0, null)));
        assertEquals(1, tracker.destroy().handles().size(), "the untracked handle is not a leak");

        other.close();
        assertEquals(0, POSIX.close(fd));
        assertEquals(baseline, openInProcess());
        deleteAll("adopted", "other");
    }

    @Test
    void pinsHeldByOthersCanBeReleasedAfterUntrack() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        FsHandle h = tracker.open(dir.resolve("f"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        int fd = h.acquire();
        h.acquire();

        h.untrack();
        assertEquals(1, h.pins());
        h.release();
        assertEquals(0, h.pins());
        assertThrows(IllegalStateException.class, h::release);
        assertThrows(IllegalStateException.class, h::untrack);
        assertEquals(0, tracker.stats().open());

        assertEquals(0, POSIX.close(fd));
        assertEquals(baseline, openInProcess());
        deleteAll("f");
    }

    @Test
    void untrackOfASuspendedHandleIsRefused() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        FsHandle h = tracker.open(dir.resolve("a"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        FsHandle other = tracker.open(dir.resolve("b"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        assertTrue(h.isSuspended());
        TrackerStats before = tracker.stats();

        assertThrows(IllegalStateException.class, h::untrack);
        assertEquals(before, tracker.stats());
        assertTrue(h.isSuspended());

        h.close();
        other.close();
        deleteAll("a", "b");
    }
}
