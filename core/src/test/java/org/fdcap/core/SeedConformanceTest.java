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
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nine scenarios of the seed's unit test ({@code tests/unit/test_fd_tracker.c}), with its
 * numbers: capacity 50, 500 files, a 298-byte content (297 characters and the terminating NUL),
 * files opened {@code O_RDWR|O_CREAT} with mode 0600, the pool at {@code <test dir>/unlinked_files}.
 * Every scenario runs in a fresh directory with a fresh tracker and ends with the directory empty.
 */
class SeedConformanceTest {
    private static final int TRACKER_FD_LIMIT = 50;
    private static final int FILE_COUNT = TRACKER_FD_LIMIT * 10;
    private static final int FLAGS = OpenFlags.O_RDWR | OpenFlags.O_CREAT;
    private static final int MODE = 0600;
    /** 297 characters; the seed writes {@code sizeof}, so the terminating NUL too: 298 bytes. */
    private static final String TEXT = "Bacon ipsum dolor amet turducken pork belly shank, chuck flank short loin"
            + " ham hock tongue. Pastrami corned beef kielbasa beef ribs, landjaeger swine tri-tip frankfurter"
            + " meatloaf brisket. Chicken biltong shoulder, t-bone cupim porchetta pig jerky strip steak salami"
            + " ball tip sausage, rump pancetta.";
    private static final byte[] FILE_CONTENTS = (TEXT + '\0').getBytes(StandardCharsets.US_ASCII);
    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;

    @TempDir
    Path dir;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    private FdTracker newTracker(Path pool, int capacity) {
        return FdTracker.builder().capacity(capacity).unlinkedFilePool(pool).build();
    }

    private FdTracker newTracker() {
        return newTracker(dir.resolve("unlinked_files"), TRACKER_FD_LIMIT);
    }

    private static int[] noopOpen(int fd) {
        return new int[] {fd};
    }

    private List<FsHandle> openFiles(FdTracker tracker, int count) throws IOException {
        List<FsHandle> handles = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            handles.add(tracker.open(dir.resolve("file-" + i), FLAGS, MODE));
        }
        return handles;
    }

    private static void unlinkAndClose(List<FsHandle> handles) throws IOException {
        for (FsHandle h : handles) {
            h.unlink();
            h.close();
        }
    }

    @Test
    void contentIsTheSeeds298Bytes() {
        assertEquals(297, TEXT.length());
        assertEquals(298, FILE_CONTENTS.length);
    }

    // 1. test_unsuspendable_basic
    @Test
    void unsuspendableStdioIsTrackedByNameAndUntracked() throws IOException {
        FdTracker tracker = newTracker();
        int[] stdio = {STDIN, STDOUT, STDERR};
        String[] names = {"stdin", "stdout", "stderr"};
        for (int i = 0; i < 3; i++) {
            int fd = stdio[i];
            assertArrayEquals(new int[] {fd}, tracker.openUnsuspendable(List.of(names[i]), n -> noopOpen(fd)));
        }
        assertEquals(3, tracker.stats().unsuspendable());
        String state = tracker.describe();
        assertTrue(state.contains("stdin [fd 0]") && state.contains("stdout [fd 1]") && state.contains("stderr [fd 2]"),
                state);

        for (int fd : stdio) {
            tracker.closeUnsuspendable(new int[] {fd}, fds -> { });
        }
        assertEquals(0, tracker.stats().unsuspendable());
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 2. test_unsuspendable_cb_return
    @Test
    void callbackErrorsReachTheCallerUntouched() throws IOException {
        // As in the seed, the pool is the test directory itself: the tracker must not create it.
        FdTracker tracker = newTracker(dir, TRACKER_FD_LIMIT);
        IOException networkDown = new IOException("ENETDOWN");

        IOException thrown = assertThrows(IOException.class,
                () -> tracker.openUnsuspendable(List.of("failing"), n -> {
                    throw networkDown;
                }));
        assertSame(networkDown, thrown);
        assertEquals(0, tracker.stats().unsuspendable());
        assertEquals(0, tracker.stats().active());

        assertArrayEquals(new int[] {STDOUT}, tracker.openUnsuspendable(List.of("stdout"), n -> noopOpen(STDOUT)));

        thrown = assertThrows(IOException.class, () -> tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> {
            throw networkDown;
        }));
        assertSame(networkDown, thrown);
        assertEquals(1, tracker.stats().unsuspendable(), "the descriptor stays tracked after a failed close callback");

        tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> { });
        assertEquals(0, tracker.stats().unsuspendable());
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 3. test_unsuspendable_duplicate
    @Test
    void trackingADescriptorTwiceIsRefused() throws IOException {
        FdTracker tracker = newTracker();
        tracker.openUnsuspendable(List.of("stdout"), n -> noopOpen(STDOUT));

        assertThrows(IllegalArgumentException.class,
                () -> tracker.openUnsuspendable(List.of("stdout again"), n -> noopOpen(STDOUT)));
        assertEquals(1, tracker.stats().unsuspendable());

        tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> { });
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 4. test_unsuspendable_close_untracked
    @Test
    void closingAnUntrackedDescriptorIsRefused() throws IOException {
        FdTracker tracker = newTracker();
        int[] unknown = new int[2];
        assertEquals(0, POSIX.pipe(unknown));
        POSIX.close(unknown[0]);
        POSIX.close(unknown[1]);
        tracker.openUnsuspendable(List.of("stdout"), n -> noopOpen(STDOUT));

        boolean[] closerCalled = {false};
        assertThrows(IllegalArgumentException.class,
                () -> tracker.closeUnsuspendable(new int[] {unknown[0]}, fds -> closerCalled[0] = true));
        assertFalse(closerCalled[0]);
        assertEquals(1, tracker.stats().unsuspendable());

        tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> { });
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 5. test_unsuspendable_limit
    @Test
    void exactlyTheCapacityOfUnsuspendablesIsAllowedAndOneMoreIsRefused() throws IOException {
        int baseline = openInProcess();
        FdTracker tracker = newTracker();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < TRACKER_FD_LIMIT; i++) {
            names.add("pipe-" + (i / 2) + (i % 2 == 0 ? "-read" : "-write"));
        }

        int[] pipes = tracker.openUnsuspendable(names, count -> {
            int[] fds = new int[count];
            for (int i = 0; i < count; i += 2) {
                int[] pair = new int[2];
                if (POSIX.pipe(pair) != 0) {
                    throw new IOException("pipe failed: errno " + POSIX.errno());
                }
                fds[i] = pair[0];
                fds[i + 1] = pair[1];
            }
            return fds;
        });
        assertEquals(TRACKER_FD_LIMIT, pipes.length);
        assertEquals(TRACKER_FD_LIMIT, tracker.stats().unsuspendable());
        assertEquals(baseline + TRACKER_FD_LIMIT, openInProcess());

        assertThrows(TooManyOpenFilesException.class,
                () -> tracker.openUnsuspendable(List.of("stdout"), n -> noopOpen(STDOUT)));
        assertEquals(TRACKER_FD_LIMIT, tracker.stats().unsuspendable());

        tracker.closeUnsuspendable(pipes, fds -> {
            for (int fd : fds) {
                if (POSIX.close(fd) != 0) {
                    throw new IOException("close(" + fd + ") failed: errno " + POSIX.errno());
                }
            }
        });
        assertEquals(0, tracker.stats().unsuspendable());
        assertEquals(baseline, openInProcess());
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 6. test_suspendable_limit
    @Test
    void fiveHundredFilesAtCapacityFiftyHoldExactlyFiftyDescriptors() throws IOException {
        int baseline = openInProcess();
        FdTracker tracker = newTracker();

        List<FsHandle> handles = openFiles(tracker, FILE_COUNT);
        assertEquals(baseline + TRACKER_FD_LIMIT, openInProcess());
        TrackerStats stats = tracker.stats();
        assertEquals(TRACKER_FD_LIMIT, stats.open());
        assertEquals(FILE_COUNT - TRACKER_FD_LIMIT, stats.suspended());
        assertEquals(FILE_COUNT - TRACKER_FD_LIMIT, stats.suspensions());
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(dir.resolve("file-0")));

        unlinkAndClose(handles);
        assertEquals(baseline, openInProcess());
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 7. test_suspendable_restore
    @Test
    void roundRobinWritesThroughSuspendedHandlesLandExactlyAndRespectTheCap() throws IOException {
        int baseline = openInProcess();
        int cap = baseline + TRACKER_FD_LIMIT;
        // The seed's policy, whose miss count this test asserts; EvictionPolicyTest runs the same
        // round robin under the default (scan-resistant) policy.
        FdTracker tracker = FdTracker.builder().capacity(TRACKER_FD_LIMIT).unlinkedFilePool(dir.resolve("unlinked_files"))
                .evictionPolicy(EvictionPolicy.LRU).build();
        List<FsHandle> handles = openFiles(tracker, FILE_COUNT);
        assertEquals(cap, openInProcess());

        int cycles = 0;
        int highest = 0;
        for (int i = 0; i < FILE_CONTENTS.length; i++) {
            byte[] one = {FILE_CONTENTS[i]};
            for (FsHandle h : handles) {
                int fd = h.acquire();
                Descriptors.writeFully(fd, one);
                int now = openInProcess();
                if (now > cap) {
                    // Over only if the excess is the tracker's: the JVM's own threads open files
                    // for a moment too (class files, cgroup files), which the process count sees.
                    int ours = Descriptors.openUnder(dir);
                    if (ours > TRACKER_FD_LIMIT) {
                        fail("cycle " + cycles + ": " + ours + " descriptors open on the test's files, more than "
                                + TRACKER_FD_LIMIT + "; all open: " + Descriptors.describeOpen());
                    }
                    now = cap;
                }
                highest = Math.max(highest, now);
                h.release();
                cycles++;
            }
        }
        assertEquals(149_000, cycles);
        assertEquals(cap, highest);

        for (int i = 0; i < FILE_COUNT; i++) {
            Descriptors.assertContent(FILE_CONTENTS, dir.resolve("file-" + i));
        }
        // Round robin over 500 handles with room for 50 is LRU's worst case: every access misses.
        TrackerStats stats = tracker.stats();
        assertEquals(149_000, stats.uses());
        assertEquals(149_000, stats.restores());
        assertEquals(FILE_COUNT - TRACKER_FD_LIMIT + 149_000, stats.suspensions());
        assertEquals(0, stats.errors());

        unlinkAndClose(handles);
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 8. test_mixed_limit
    @Test
    void unsuspendablesSuspendTheLeastRecentlyUsedHandlesAndUntrackingRestoresNothing() throws IOException {
        int baseline = openInProcess();
        FdTracker tracker = newTracker();
        List<FsHandle> handles = openFiles(tracker, TRACKER_FD_LIMIT);
        assertEquals(baseline + TRACKER_FD_LIMIT, openInProcess());

        int[] stdio = {STDIN, STDOUT, STDERR};
        String[] names = {"stdin", "stdout", "stderr"};
        for (int i = 0; i < 3; i++) {
            int fd = stdio[i];
            tracker.openUnsuspendable(List.of(names[i]), n -> noopOpen(fd));
        }
        for (int i = 0; i < TRACKER_FD_LIMIT; i++) {
            assertEquals(i < 3, handles.get(i).isSuspended(), "file-" + i + " suspended");
        }
        // stdio was open already: 47 files are left open.
        assertEquals(baseline + TRACKER_FD_LIMIT - 3, openInProcess());

        for (int fd : stdio) {
            tracker.closeUnsuspendable(new int[] {fd}, fds -> { });
        }
        assertEquals(baseline + TRACKER_FD_LIMIT - 3, openInProcess(), "no handle is restored eagerly");
        for (int i = 0; i < 3; i++) {
            assertTrue(handles.get(i).isSuspended(), "file-" + i + " still suspended");
        }
        TrackerStats stats = tracker.stats();
        assertEquals(TRACKER_FD_LIMIT - 3, stats.open());
        assertEquals(3, stats.suspended());
        assertEquals(0, stats.unsuspendable());

        unlinkAndClose(handles);
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }

    // 9. test_unlink
    @Test
    void unlinkMovesTheFileToThePoolUntilItsLastHandleCloses() throws IOException {
        Path pool = dir.resolve("unlinked_files");
        FdTracker tracker = newTracker(pool, 1);
        Path file = dir.resolve("my_file");

        FsHandle h0 = tracker.open(file, FLAGS, MODE);
        FsHandle h1 = tracker.open(file, FLAGS, MODE);
        assertTrue(h0.isSuspended(), "the second open suspends the first at capacity 1");

        h0.unlink();
        assertFalse(Files.exists(file), "the name is gone at once");
        Path first = pool.resolve(UnlinkedFilePool.PREFIX + "0");
        assertTrue(Files.exists(first), "the first pool name ends in 0");

        int fd0 = h0.acquire();
        assertTrue(fd0 >= 0);
        assertTrue(h1.isSuspended(), "restoring h0 suspends h1");
        assertEquals(first.toString(), h1.location(), "both handles reopen from the pool");

        assertThrows(TooManyOpenFilesException.class, h1::acquire, "capacity 1 and the only open handle is pinned");
        assertTrue(h1.isSuspended());

        h0.release();
        assertTrue(h1.acquire() >= 0);
        h1.release();

        assertThrows(NoSuchFileException.class, h1::unlink, "the same inode is already unlinked");

        FsHandle fresh = tracker.open(file, FLAGS, MODE);
        assertTrue(h1.isSuspended());
        fresh.unlink();
        Path second = pool.resolve(UnlinkedFilePool.PREFIX + "1");
        assertTrue(Files.exists(second), "pool names come from a counter");

        h0.close();
        h1.close();
        fresh.close();
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(first));
        assertFalse(Files.exists(second));
        assertTrue(tracker.destroy().isEmpty());
        assertDirectoryEmpty(dir);
    }
}
