package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FdTracker.Builder#spare}: a background thread keeps descriptors free ahead of need. It
 * starts only when the room runs low, suspends the handles an open would have suspended (the least
 * recently used idle ones), never takes the process over the capacity, parks (without spinning)
 * when nothing is idle, and stops with the tracker; what the handles read and write is unchanged.
 */
class SpareTest {
    private static final int FLAGS = OpenFlags.O_RDWR | OpenFlags.O_CREAT;
    private static final long WAIT_NANOS = 10_000_000_000L;

    @TempDir
    Path dir;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    private static Thread evictorThread(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(1);
        }
    }

    @Test
    void spareIsAtMostAnEighthOfTheCapacityAndZeroStartsNoThread() throws IOException {
        assertEquals(0, FdTracker.builder().capacity(100).build().spare());
        assertEquals(4, FdTracker.builder().capacity(32).spare(16).build().spare());
        assertEquals(0, FdTracker.builder().capacity(7).spare(16).build().spare());
        assertEquals(16, FdTracker.builder().capacity(200).spare(16).build().spare());
        assertThrows(IllegalArgumentException.class, () -> FdTracker.builder().spare(-1));

        String name = "spare-test-zero";
        FdTracker tracker = FdTracker.builder().capacity(8).spareThreads(r -> new Thread(r, name)).build();
        List<FsHandle> handles = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            handles.add(tracker.open(dir.resolve("f" + i), FLAGS, 0600));
        }
        assertNull(evictorThread(name), "no background thread without spare");
        assertEquals(0, tracker.stats().suspendedAhead());
        for (FsHandle h : handles) {
            h.close();
        }
    }

    @Test
    void keepsTheSpareFreeBySuspendingTheLeastRecentlyUsedAndNeverExceedsTheCapacity() throws Exception {
        int capacity = 32;
        int baseline = openInProcess();
        CountingSystemCalls counted = new CountingSystemCalls(SystemCalls.jnrPosix());
        String name = "spare-test-keep";
        FdTracker tracker = FdTracker.builder().capacity(capacity).spare(4).systemCalls(counted)
                .evictionPolicy(EvictionPolicy.LRU).spareThreads(r -> new Thread(r, name)).build();
        List<FsHandle> handles = new ArrayList<>();
        // Room 32 down to 3 (the low mark is 2): the thread is not needed yet.
        for (int i = 0; i < 29; i++) {
            handles.add(tracker.open(dir.resolve("f" + i), FLAGS, 0600));
        }
        assertNull(evictorThread(name), "started before the room ran low");
        // Room 1: under the low mark; it starts and suspends f0, f1 and f2 (room back to 4).
        handles.add(tracker.open(dir.resolve("f29"), FLAGS, 0600));
        handles.add(tracker.open(dir.resolve("f30"), FLAGS, 0600));
        await(() -> tracker.room() == 4, "room 4 (" + tracker.stats() + ")");
        assertNotNull(evictorThread(name));
        TrackerStats st = tracker.stats();
        assertEquals(3, st.suspendedAhead(), st.toString());
        assertEquals(3, st.suspensions(), st.toString());
        assertEquals(28, st.open(), st.toString());
        for (int i = 0; i < handles.size(); i++) {
            assertEquals(i < 3, handles.get(i).isSuspended(), "f" + i + " suspended");
        }
        assertEquals(baseline + 28, openInProcess());

        // Many more opens than the capacity, with reads and writes through every handle: the
        // thread keeps room, the program's threads never go over, and the data is the data.
        Random random = new Random(42);
        for (int i = 31; i < 300; i++) {
            handles.add(tracker.open(dir.resolve("f" + i), FLAGS, 0600));
        }
        byte[][] model = new byte[handles.size()][64];
        for (FsHandle h : handles) {
            h.write(new byte[64], 0, 64, 0);
        }
        for (int round = 0; round < 5_000; round++) {
            int f = random.nextInt(handles.size());
            int at = random.nextInt(56);
            byte[] b = new byte[8];
            random.nextBytes(b);
            handles.get(f).write(b, 0, 8, at);
            System.arraycopy(b, 0, model[f], at, 8);
        }
        for (int f = 0; f < handles.size(); f++) {
            byte[] back = new byte[64];
            assertEquals(64, handles.get(f).read(back, 0, 64, 0));
            assertArrayEquals(model[f], back, "file f" + f);
        }
        st = tracker.stats();
        assertEquals(0, st.errors(), String.valueOf(tracker.lastError()));
        assertTrue(st.suspendedAhead() > 1_000, "most suspensions made ahead of need: " + st);
        assertTrue(counted.highest() <= capacity, "the tracker held " + counted.highest() + " descriptors at once");
        assertTrue(openInProcess() <= baseline + capacity);

        for (FsHandle h : handles) {
            h.close();
        }
        assertTrue(tracker.destroy().isEmpty());
        Thread t = evictorThread(name);
        if (t != null) {
            t.join(10_000);
            assertFalse(t.isAlive(), "the thread ends with the tracker");
        }
        assertEquals(baseline, openInProcess());
        for (int i = 0; i < handles.size(); i++) {
            Files.delete(dir.resolve("f" + i));
        }
        assertDirectoryEmpty(dir);
    }

    @Test
    void isNotWokenWhileAsManyThreadsRestoreAsThereAreProcessors() throws Exception {
        FdTracker tracker = FdTracker.builder().capacity(64).spare(8).build();
        int processors = Runtime.getRuntime().availableProcessors();
        assertTrue(tracker.aProcessorIsFree(), "no restore yet");
        tracker.onMiss();
        assertEquals(processors > 1, tracker.aProcessorIsFree(), "one thread restores, " + processors + " processors");
        // As many threads as processors, taking turns: no processor is left for the background thread.
        for (int round = 0; round < 8; round++) {
            for (int t = 1; t < processors && t < 8; t++) {
                Thread other = new Thread(tracker::onMiss);
                other.start();
                other.join();
            }
            tracker.onMiss();
        }
        if (processors <= 8) { // it looks at the threads of the last 8 restores
            assertFalse(tracker.aProcessorIsFree(), processors + " threads restore, " + processors + " processors");
        }
        // One thread again: after a few restores of its own, it gets the help again (with 2+ processors).
        for (int i = 0; i < 8; i++) {
            tracker.onMiss();
        }
        assertEquals(processors > 1, tracker.aProcessorIsFree());
        tracker.destroy();
    }

    @Test
    void parksWithoutSpinningWhenEveryDescriptorIsInUse() throws Exception {
        int capacity = 16;
        String name = "spare-test-pinned";
        FdTracker tracker = FdTracker.builder().capacity(capacity).spare(2).spareThreads(r -> new Thread(r, name))
                .build();
        List<FsHandle> handles = new ArrayList<>();
        for (int i = 0; i < capacity; i++) {
            FsHandle h = tracker.open(dir.resolve("f" + i), FLAGS, 0600);
            h.acquire(); // pinned at once: nothing for the thread to suspend
            handles.add(h);
        }
        Thread t = evictorThread(name);
        assertNotNull(t, "woken when the room ran low");
        await(() -> t.getState() == Thread.State.WAITING, "the thread parks (state " + t.getState() + ")");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getThreadCpuTime(t.getId());
        Thread.sleep(300);
        long cpu = mx.getThreadCpuTime(t.getId()) - cpu0;
        assertTrue(cpu < 50_000_000L, "the parked thread used " + cpu / 1_000_000 + " ms of CPU in 300 ms");
        assertEquals(0, tracker.room());
        assertEquals(0, tracker.stats().suspendedAhead());

        // Released: the next low room wakes it, and it makes room again.
        for (FsHandle h : handles) {
            h.release();
        }
        handles.add(tracker.open(dir.resolve("f" + capacity), FLAGS, 0600));
        await(() -> tracker.room() == 2, "room 2 after the release (" + tracker.stats() + ")");
        for (FsHandle h : handles) {
            h.close();
        }
        tracker.destroy();
        t.join(10_000);
        assertFalse(t.isAlive(), "the thread ends with the tracker");
    }
}
