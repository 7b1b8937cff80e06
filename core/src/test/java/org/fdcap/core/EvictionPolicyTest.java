package org.fdcap.core;

import static org.fdcap.core.Descriptors.openInProcess;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which handle is suspended: the seed's LRU against the default scan-resistant policy, on the
 * cyclic scan that is LRU's worst case and on a handle coming back after a suspension.
 */
class EvictionPolicyTest {
    private static final int FLAGS = OpenFlags.O_RDWR | OpenFlags.O_CREAT;
    private static final int CAPACITY = 10;
    private static final int FILES = 100;
    private static final int CYCLES = 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    @Test
    void theDefaultPolicyIsScanResistant() {
        assertEquals(EvictionPolicy.SCAN_RESISTANT, FdTracker.builder().capacity(1).build().evictionPolicy());
    }

    @Test
    void lruMissesEveryAccessOfACyclicScanOverMoreFilesThanTheCapacity() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(CAPACITY).evictionPolicy(EvictionPolicy.LRU).build();
        List<FsHandle> handles = open(tracker, FILES);
        long[] hitsPerCycle = scan(tracker, handles);
        for (int c = 0; c < CYCLES; c++) {
            assertEquals(0, hitsPerCycle[c], "cycle " + c);
        }
        close(handles);
    }

    @Test
    void scanResistantKeepsAllButOneOpenHandleThroughACyclicScan() throws IOException {
        int baseline = openInProcess();
        FdTracker tracker = FdTracker.builder().capacity(CAPACITY).build();
        List<FsHandle> handles = open(tracker, FILES);
        long[] hitsPerCycle = scan(tracker, handles);
        // The best any policy can do is to keep CAPACITY - 1 handles and cycle the rest through
        // the last slot; from the second cycle on, that is what happens.
        for (int c = 1; c < CYCLES; c++) {
            assertEquals(CAPACITY - 1, hitsPerCycle[c], "cycle " + c);
        }
        assertEquals(baseline + CAPACITY, openInProcess(), "the capacity is still the cap");
        for (int i = 0; i < FILES; i++) {
            assertArrayEquals(new byte[] {(byte) i}, Descriptors.readAt(handles.get(i), 1, 0), "file-" + i);
        }
        close(handles);
    }

    @Test
    void aHandleRestoredForOneUseIsTheNextVictimWhereLruWouldTakeTheLeastRecentlyUsed() throws IOException {
        for (EvictionPolicy policy : EvictionPolicy.values()) {
            FdTracker tracker = FdTracker.builder().capacity(3).evictionPolicy(policy).build();
            List<FsHandle> h = open(tracker, 5); // 0 and 1 suspended; 2, 3, 4 open
            FsHandle often = h.get(0);
            FsHandle once = h.get(1);
            assertTrue(often.isSuspended());
            assertTrue(once.isSuspended());
            for (int i = 0; i < 5; i++) {
                often.size(); // restored (2 suspended), then used four more times
            }
            once.size(); // restored (3 suspended), used once
            assertTrue(h.get(2).isSuspended(), policy.toString());
            assertTrue(h.get(3).isSuspended(), policy.toString());

            h.add(tracker.open(dir.resolve("new"), FLAGS, 0600));

            assertFalse(often.isSuspended(), policy.toString());
            if (policy == EvictionPolicy.LRU) {
                assertTrue(h.get(4).isSuspended(), "LRU: the least recently used");
                assertFalse(once.isSuspended());
            } else {
                assertTrue(once.isSuspended(), "restored for one use, not used since: the next victim");
                assertFalse(h.get(4).isSuspended());
            }
            close(h);
        }
    }

    @Test
    void aRestoredHandleIsTheNextVictimUnlessItIsUsedAgainFirst() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        List<FsHandle> h = open(tracker, 4); // 0 suspended, 1 2 3 open
        for (FsHandle x : h.subList(1, 4)) {
            x.size();
            x.size();
        }
        FsHandle back = h.get(0);
        back.size(); // restored with fewer uses than the others: queued as the next victim
        h.add(tracker.open(dir.resolve("extra-1"), FLAGS, 0600));
        assertTrue(back.isSuspended(), "not used since its restore: the victim");

        back.size(); // restored again, still used less than the others
        back.size(); // ... but used again before the next suspension
        long suspended = tracker.stats().suspensions();
        h.add(tracker.open(dir.resolve("extra-2"), FLAGS, 0600));
        assertEquals(suspended + 1, tracker.stats().suspensions());
        assertFalse(back.isSuspended(), "a second use before the next suspension keeps it");
        close(h);
    }

    /** Writes one byte per file per cycle (the file's number) and counts the hits of each cycle. */
    private static long[] scan(FdTracker tracker, List<FsHandle> handles) throws IOException {
        long[] hits = new long[CYCLES];
        for (int c = 0; c < CYCLES; c++) {
            TrackerStats before = tracker.stats();
            for (int i = 0; i < handles.size(); i++) {
                handles.get(i).write(new byte[] {(byte) i}, 0, 1, 0);
            }
            TrackerStats after = tracker.stats();
            hits[c] = (after.uses() - before.uses()) - (after.restores() - before.restores());
        }
        return hits;
    }

    private List<FsHandle> open(FdTracker tracker, int count) throws IOException {
        List<FsHandle> handles = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            handles.add(tracker.open(dir.resolve("file-" + i), FLAGS, 0600));
        }
        return handles;
    }

    private static void close(List<FsHandle> handles) throws IOException {
        for (FsHandle h : handles) {
            Path p = Path.of(h.path());
            h.close();
            Files.delete(p);
        }
    }
}
