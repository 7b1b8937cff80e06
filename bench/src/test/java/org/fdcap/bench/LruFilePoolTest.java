package org.fdcap.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written pool the benchmarks compare against: right bytes, at most capacity files open. */
class LruFilePoolTest {
    @TempDir
    Path dir;

    @Test
    void readsTheRightBlockAndReopensOnlyWhatItClosed() throws IOException {
        Path[] paths = new Path[3];
        for (int i = 0; i < 3; i++) {
            byte[] data = new byte[2 * DataFiles.BLOCK];
            Arrays.fill(data, 0, DataFiles.BLOCK, (byte) (10 * i));
            Arrays.fill(data, DataFiles.BLOCK, data.length, (byte) (10 * i + 1));
            paths[i] = Files.write(dir.resolve("f" + i), data);
        }
        byte[] buf = new byte[DataFiles.BLOCK];
        byte[] expected = new byte[DataFiles.BLOCK];
        try (LruFilePool pool = new LruFilePool(paths, 2)) {
            int[][] reads = {{0, 1}, {1, 0}, {0, 0}, {2, 1}, {0, 1}, {1, 1}};
            for (int[] r : reads) {
                assertEquals(DataFiles.BLOCK, pool.read(r[0], (long) r[1] * DataFiles.BLOCK, buf));
                Arrays.fill(expected, (byte) (10 * r[0] + r[1]));
                assertArrayEquals(expected, buf);
            }
            // 0, 1 opened; 2 evicts 1 (0 was used more recently); 0 still open; 1 evicts 2.
            assertEquals(4, pool.opens);
        }
    }
}
