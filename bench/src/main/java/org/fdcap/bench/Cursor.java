package org.fdcap.bench;

import java.util.SplittableRandom;

/**
 * A thread's random access pattern, computed before the measurement: which file and which 4 KiB
 * block each read takes, uniformly at random, from a fixed seed, so that every run (with the
 * agent, without it, through the pool) replays exactly the same reads. The pattern repeats after
 * 65,536 reads.
 */
final class Cursor {
    private static final int LENGTH = 1 << 16;

    private final int[] files = new int[LENGTH];
    private final long[] offsets = new long[LENGTH];
    private int next;
    /** Reads made (for the restores-per-read figure). */
    long reads;

    Cursor(int fileCount, int fileSize, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int blocks = fileSize / DataFiles.BLOCK;
        for (int i = 0; i < LENGTH; i++) {
            files[i] = random.nextInt(fileCount);
            offsets[i] = (long) random.nextInt(blocks) * DataFiles.BLOCK;
        }
    }

    /** Moves to the next read; then {@link #file()} and {@link #offset()} describe it. */
    void advance() {
        next = (next + 1) & (LENGTH - 1);
        reads++;
    }

    int file() {
        return files[next];
    }

    long offset() {
        return offsets[next];
    }
}
