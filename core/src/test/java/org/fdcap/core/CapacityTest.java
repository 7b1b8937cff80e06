package org.fdcap.core;

import static org.fdcap.core.Descriptors.POSIX;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capacity is never exceeded: pinned handles are never suspended, the least recently used idle
 * handle is, and when nothing can be suspended the request fails with
 * {@link TooManyOpenFilesException} with nothing opened and no count changed. Unsuspendable
 * descriptors are all or nothing.
 */
class CapacityTest {
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

    private List<FsHandle> open(FdTracker tracker, String... names) throws IOException {
        List<FsHandle> handles = new ArrayList<>();
        for (String name : names) {
            handles.add(tracker.open(dir.resolve(name), FLAGS, 0600));
        }
        return handles;
    }

    private void closeAndDelete(List<FsHandle> handles) throws IOException {
        for (FsHandle h : handles) {
            h.close();
            Files.delete(Path.of(h.path()));
        }
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void zeroCapacityRefusesEveryOpenAndCreatesNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(0).build();
        assertThrows(TooManyOpenFilesException.class, () -> tracker.open(dir.resolve("a"), FLAGS, 0600));
        assertThrows(TooManyOpenFilesException.class,
                () -> tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {1}));
        assertEquals(new TrackerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), tracker.stats());
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void suspendIdleFreesLeastRecentlyUsedIdleHandlesAndTheirSlots() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(4).build();
        List<FsHandle> handles = open(tracker, "a", "b", "c", "d");
        handles.get(0).acquire(); // pinned: never a candidate
        assertThrows(IllegalArgumentException.class, () -> tracker.suspendIdle(-1));
        assertEquals(0, tracker.suspendIdle(0));

        assertEquals(2, tracker.suspendIdle(2));
        assertFalse(handles.get(0).isSuspended(), "pinned");
        assertTrue(handles.get(1).isSuspended(), "least recently used idle handle");
        assertTrue(handles.get(2).isSuspended());
        assertFalse(handles.get(3).isSuspended());
        assertEquals(baseline + 2, openInProcess(), "their descriptors are closed");
        TrackerStats stats = tracker.stats();
        assertEquals(2, stats.active(), "and their slots free");
        assertEquals(2, stats.suspended());

        assertEquals(1, tracker.suspendIdle(5), "only one idle handle was left");
        assertEquals(baseline + 1, openInProcess());
        assertEquals(3, tracker.stats().suspensions());
        handles.get(0).release();
        closeAndDelete(handles);
        assertTrue(tracker.destroy().isEmpty());
    }

    @Test
    void roomIsWhatIsLeftUnderTheCapacityAndZeroAtTheCap() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        assertEquals(2, tracker.room());
        List<FsHandle> handles = open(tracker, "a", "b");
        assertEquals(0, tracker.room());
        handles.addAll(open(tracker, "c")); // suspends "a": still at the cap
        assertEquals(0, tracker.room());
        assertEquals(1, tracker.suspendIdle(1));
        assertEquals(1, tracker.room());
        closeAndDelete(handles);
        assertEquals(2, tracker.room());
    }

    @Test
    void failedOpenNamesTheFileAndGivesItsSlotBack() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        Path missing = dir.resolve("missing");

        java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class,
                () -> tracker.open(missing, OpenFlags.O_RDWR, 0));
        assertEquals(missing.toString(), e.getFile());
        assertThrows(java.nio.file.FileSystemException.class, () -> tracker.open(dir, OpenFlags.O_RDWR, 0),
                "a directory cannot be opened for writing");
        assertEquals(new TrackerStats(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), tracker.stats());

        List<FsHandle> handles = open(tracker, "a");
        assertEquals(0, tracker.stats().suspensions(), "the one slot is free");
        closeAndDelete(handles);
    }

    @Test
    void pinnedHandlesAreNeverSuspendedAndTheOpenFailsWithNothingChanged() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        List<FsHandle> handles = open(tracker, "a", "b");
        for (FsHandle h : handles) {
            h.acquire();
        }
        TrackerStats before = tracker.stats();

        assertThrows(TooManyOpenFilesException.class, () -> tracker.open(dir.resolve("c"), FLAGS, 0600));
        assertFalse(Files.exists(dir.resolve("c")), "nothing was opened");
        assertEquals(before, tracker.stats());
        assertEquals(baseline + 2, openInProcess());

        handles.get(0).release();
        FsHandle c = tracker.open(dir.resolve("c"), FLAGS, 0600);
        assertTrue(handles.get(0).isSuspended(), "the handle released is the one suspended");
        assertFalse(handles.get(1).isSuspended());
        handles.get(1).release();
        handles.add(c);
        closeAndDelete(handles);
    }

    @Test
    void pinsAreCountedSoOneReleaseOfTwoKeepsTheHandleOpen() throws Exception {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        List<FsHandle> handles = open(tracker, "shared");
        FsHandle shared = handles.get(0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch bothPinned = new CountDownLatch(2);
            CountDownLatch done = new CountDownLatch(1);
            List<Future<Integer>> fds = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                fds.add(pool.submit(() -> {
                    int fd = shared.acquire();
                    bothPinned.countDown();
                    done.await();
                    shared.release();
                    return fd;
                }));
            }
            assertTrue(bothPinned.await(30, TimeUnit.SECONDS));
            assertEquals(2, shared.pins());
            done.countDown();
            assertEquals(fds.get(0).get(), fds.get(1).get(), "both threads used the same descriptor");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, shared.pins());

        shared.acquire();
        shared.acquire();
        shared.release();
        assertThrows(TooManyOpenFilesException.class, () -> tracker.open(dir.resolve("other"), FLAGS, 0600),
                "one pin is still held");
        shared.release();
        handles.add(tracker.open(dir.resolve("other"), FLAGS, 0600));
        assertTrue(shared.isSuspended());
        closeAndDelete(handles);
    }

    @Test
    void leastRecentlyUsedIdleHandleIsTheVictim() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        List<FsHandle> handles = open(tracker, "a", "b", "c");
        FsHandle a = handles.get(0);
        FsHandle b = handles.get(1);
        FsHandle c = handles.get(2);
        a.size(); // a is now more recent than b and c

        handles.add(tracker.open(dir.resolve("d"), FLAGS, 0600));
        assertFalse(a.isSuspended());
        assertTrue(b.isSuspended());
        assertFalse(c.isSuspended());

        handles.add(tracker.open(dir.resolve("e"), FLAGS, 0600));
        assertTrue(c.isSuspended());
        assertFalse(a.isSuspended());
        closeAndDelete(handles);
    }

    @Test
    void unsuspendablesAreAllOrNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(4).build();
        List<FsHandle> handles = open(tracker, "a", "b");
        for (FsHandle h : handles) {
            h.acquire();
        }
        boolean[] openerCalled = {false};

        assertThrows(TooManyOpenFilesException.class,
                () -> tracker.openUnsuspendable(List.of("x", "y", "z"), n -> {
                    openerCalled[0] = true;
                    return new int[] {0, 1, 2};
                }));
        assertFalse(openerCalled[0], "the opener is not called when room cannot be made for all");
        assertEquals(0, tracker.stats().unsuspendable());

        int[] fds = tracker.openUnsuspendable(List.of("stdin", "stdout"), n -> new int[] {0, 1});
        assertArrayEquals(new int[] {0, 1}, fds, "the two free slots were given back");
        assertEquals(4, tracker.stats().active());
        tracker.closeUnsuspendable(fds, closed -> { });
        for (FsHandle h : handles) {
            h.release();
        }
        closeAndDelete(handles);
    }

    @Test
    void openingUnsuspendablesSuspendsIdleHandles() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        List<FsHandle> handles = open(tracker, "a", "b", "c");

        int[] pipe = tracker.openUnsuspendable(List.of("pipe-read", "pipe-write"), n -> {
            int[] fds = new int[2];
            assertEquals(0, POSIX.pipe(fds));
            return fds;
        });
        assertTrue(handles.get(0).isSuspended());
        assertTrue(handles.get(1).isSuspended());
        assertFalse(handles.get(2).isSuspended());
        assertEquals(baseline + 3, openInProcess());

        tracker.closeUnsuspendable(pipe, fds -> {
            for (int fd : fds) {
                POSIX.close(fd);
            }
        });
        closeAndDelete(handles);
    }

    @Test
    void failedOpenerGivesItsSlotsBackAndTracksNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        IllegalStateException boom = new IllegalStateException("boom");
        assertSame(boom, assertThrows(IllegalStateException.class,
                () -> tracker.openUnsuspendable(List.of("x", "y"), n -> {
                    throw boom;
                })), "runtime exceptions pass through untouched too");
        IOException down = new IOException("down");
        assertSame(down, assertThrows(IOException.class, () -> tracker.openUnsuspendable(List.of("x"), n -> {
            throw down;
        })));
        assertEquals(0, tracker.stats().active());

        int[] fds = tracker.openUnsuspendable(List.of("stdin", "stdout"), n -> new int[] {0, 1});
        assertEquals(2, tracker.stats().unsuspendable(), "both slots are free again");
        tracker.closeUnsuspendable(fds, c -> { });
        assertDirectoryEmpty(dir);
    }

    @Test
    void failedCloserLeavesTheDescriptorsTrackedAndCountedAgainstTheCapacity() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        int[] fds = tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {1});
        IllegalStateException boom = new IllegalStateException("boom");

        assertSame(boom, assertThrows(IllegalStateException.class, () -> tracker.closeUnsuspendable(fds, c -> {
            throw boom;
        })));

        assertEquals(1, tracker.stats().unsuspendable());
        assertThrows(TooManyOpenFilesException.class,
                () -> tracker.openUnsuspendable(List.of("stdin", "stderr"), n -> new int[] {0, 2}));
        tracker.closeUnsuspendable(fds, c -> { });
        assertEquals(0, tracker.stats().active());
        assertDirectoryEmpty(dir);
    }

    @Test
    void openerReturningBadDescriptorsIsRefusedAndNothingIsTracked() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {1});

        assertThrows(IllegalArgumentException.class,
                () -> tracker.openUnsuspendable(List.of("a", "b"), n -> new int[] {0}), "too few");
        assertThrows(IllegalArgumentException.class,
                () -> tracker.openUnsuspendable(List.of("a"), n -> null), "none");
        assertThrows(IllegalArgumentException.class,
                () -> tracker.openUnsuspendable(List.of("a"), n -> new int[] {-1}), "invalid");
        assertThrows(IllegalArgumentException.class,
                () -> tracker.openUnsuspendable(List.of("a", "b"), n -> new int[] {0, 0}), "twice");
        assertThrows(IllegalArgumentException.class,
                () -> tracker.openUnsuspendable(List.of("a", "b"), n -> new int[] {0, 1}), "one already tracked");
        assertEquals(1, tracker.stats().unsuspendable());
        assertEquals(1, tracker.stats().active());

        int[] two = tracker.openUnsuspendable(List.of("stdin", "stderr"), n -> new int[] {0, 2});
        assertEquals(3, tracker.stats().unsuspendable(), "every slot was given back");
        tracker.closeUnsuspendable(two, c -> { });
        tracker.closeUnsuspendable(new int[] {1}, c -> { });
        assertDirectoryEmpty(dir);
    }

    @Test
    void aDescriptorNumberClosedByACloserCanBeTrackedAgainByAnotherThreadAtOnce() throws Exception {
        FdTracker tracker = FdTracker.builder().capacity(4).build();
        int[] pipe = tracker.openUnsuspendable(List.of("pipe-read", "pipe-write"), n -> {
            int[] fds = new int[2];
            assertEquals(0, POSIX.pipe(fds));
            return fds;
        });
        int[] reopened = new int[2];
        List<Throwable> otherThread = new ArrayList<>();

        // The closer closes the pipe; before it returns, another thread gets the same numbers from
        // the kernel and tracks them (callbacks hold no tracker lock, so this is allowed).
        tracker.closeUnsuspendable(pipe, fds -> {
            for (int fd : fds) {
                POSIX.close(fd);
            }
            Thread t = new Thread(() -> {
                try {
                    tracker.openUnsuspendable(List.of("new-read", "new-write"), n -> {
                        assertEquals(0, POSIX.pipe(reopened));
                        return reopened.clone();
                    });
                } catch (Throwable e) {
                    otherThread.add(e);
                }
            });
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });

        assertEquals(List.of(), otherThread);
        assertEquals(java.util.Set.of(pipe[0], pipe[1]), java.util.Set.of(reopened[0], reopened[1]),
                "the kernel reused the numbers");
        assertEquals(2, tracker.stats().unsuspendable(), "the new descriptors stay tracked");
        assertTrue(tracker.describe().contains("new-read [fd " + reopened[0] + "]"), tracker.describe());
        tracker.closeUnsuspendable(reopened, fds -> {
            for (int fd : fds) {
                POSIX.close(fd);
            }
        });
        assertEquals(0, tracker.stats().active());
        assertEquals(baseline, openInProcess());
        assertDirectoryEmpty(dir);
    }

    @Test
    void closingUnsuspendablesIsAllOrNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        int[] fds = tracker.openUnsuspendable(List.of("stdin", "stdout"), n -> new int[] {0, 1});
        boolean[] closerCalled = {false};

        assertThrows(IllegalArgumentException.class,
                () -> tracker.closeUnsuspendable(new int[] {0, 2}, c -> closerCalled[0] = true), "2 is not tracked");
        assertThrows(IllegalArgumentException.class,
                () -> tracker.closeUnsuspendable(new int[] {0, 0}, c -> closerCalled[0] = true), "listed twice");
        assertFalse(closerCalled[0]);
        assertEquals(2, tracker.stats().unsuspendable());

        int[][] seen = new int[1][];
        tracker.closeUnsuspendable(fds, c -> seen[0] = c);
        assertArrayEquals(new int[] {0, 1}, seen[0]);
        assertEquals(0, tracker.stats().unsuspendable());
        assertDirectoryEmpty(dir);
    }

    @Test
    void anOpenAtCapacityWaitsForAnotherThreadToReleaseItsPinInsteadOfFailing() throws Exception {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        List<FsHandle> handles = open(tracker, "held");
        FsHandle held = handles.get(0);
        held.acquire();
        CountDownLatch waiting = new CountDownLatch(1);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<FsHandle> second = other.submit(() -> {
                waiting.countDown();
                return tracker.open(dir.resolve("second"), FLAGS, 0600);
            });
            waiting.await();
            Thread.sleep(50); // the other thread is (most likely) waiting now; either way it must succeed
            held.release();

            FsHandle opened = second.get(10, TimeUnit.SECONDS);
            handles.add(opened);
            assertTrue(held.isSuspended(), "the released handle made the room");
            assertEquals(1, tracker.stats().open());
            assertEquals(0, tracker.stats().errors());
        } finally {
            other.shutdownNow();
        }
        closeAndDelete(handles);
        assertEquals(baseline, openInProcess());
    }

    @Test
    void whenNoPinIsEverReleasedTheOpenStillFailsAndChangesNothing() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).build();
        List<FsHandle> handles = open(tracker, "held");
        handles.get(0).acquire();
        int before = openInProcess();

        TooManyOpenFilesException e = assertThrows(TooManyOpenFilesException.class,
                () -> tracker.open(dir.resolve("never"), FLAGS, 0600));

        assertTrue(e.getMessage().startsWith("Too many open files: the capacity of 1 descriptors is reached"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("never")));
        assertEquals(before, openInProcess());
        assertEquals(1, tracker.stats().active());
        handles.get(0).release();
        closeAndDelete(handles);
    }
}
