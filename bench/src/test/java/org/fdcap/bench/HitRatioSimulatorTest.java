package org.fdcap.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.fdcap.core.EvictionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's policies on traces whose hit ratios are known exactly. */
class HitRatioSimulatorTest {
    private static final int FILES = 50;
    private static final int CAPACITY = 10;
    private static final int LENGTH = 5000;

    @TempDir
    Path dir;

    @Test
    void aCyclicScanGivesLruNoHitAndTheOptimumCapacityMinusOneHitsPerCycle() throws IOException {
        int[] scan = HitRatioSimulator.scan(FILES, LENGTH);
        assertEquals(0.0, HitRatioSimulator.lru(scan, CAPACITY));
        assertEquals(0.0, HitRatioSimulator.tracker(scan, FILES, CAPACITY, EvictionPolicy.LRU, dir));
        double best = (CAPACITY - 1) / (double) (FILES - 1);
        assertEquals(best, HitRatioSimulator.optimum(scan, FILES, CAPACITY), 0.005);
        // The core tracker keeps capacity - 1 handles: (capacity - 1) / files of the accesses hit.
        assertEquals((CAPACITY - 1) / (double) FILES,
                HitRatioSimulator.tracker(scan, FILES, CAPACITY, EvictionPolicy.SCAN_RESISTANT, dir), 1e-9);
    }

    @Test
    void noPolicyBeatsTheOptimumOnAZipfTrace() throws IOException {
        int[] zipf = HitRatioSimulator.zipf(FILES, LENGTH, 1.0, 7, LENGTH);
        double optimum = HitRatioSimulator.optimum(zipf, FILES, CAPACITY);
        double lru = HitRatioSimulator.lru(zipf, CAPACITY);
        double scanResistant = HitRatioSimulator.tracker(zipf, FILES, CAPACITY, EvictionPolicy.SCAN_RESISTANT, dir);
        assertTrue(lru > 0.3 && lru < optimum, "lru " + lru + ", optimum " + optimum);
        assertTrue(scanResistant > 0.3 && scanResistant <= optimum, "scan-resistant " + scanResistant);
        assertTrue(HitRatioSimulator.caffeine(zipf, CAPACITY) <= optimum);
    }
}
