package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.openInProcess;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Eight threads share 1,000 handles at capacity 16 and do random reads, writes and positional I/O
 * through the convenience methods and through acquire / raw system call / release. Each thread's
 * writes go to bytes only it writes, so an in-memory model of every file is exact; reads are checked
 * against it as they happen and every file is compared with it at the end.
 *
 * <p>The cap is checked twice. From outside the tracker, a sampler thread counts the process's
 * descriptors ({@code /proc/self/fd}) throughout: never more than the baseline plus the capacity;
 * at the highest count it lists them at once (number and target), and a failure prints every
 * descriptor beyond the baseline, marked as one of the tracker's files or not. From inside, the
 * tracker's system calls are counted ({@link CountingSystemCalls}): an exact upper bound of the
 * descriptors it held at once, which no sampling can miss. (The JVM of these tests runs without
 * container support, which would open cgroup files for a moment on its own threads: see core's
 * pom.xml.)
 *
 * <p>The run is seeded: {@code -Dfdcap.stress.seed=<seed>} replays a failure (the seed is in every
 * failure message).
 */
class ConcurrencyStressTest {
    private static final int THREADS = 8;
    private static final int FILES = 1_000;
    private static final int CAPACITY = 16;
    private static final int OPS_PER_THREAD = 20_000;
    /** Bytes [0, SEQUENTIAL) of file f belong to thread f % THREADS, for offset-based I/O. */
    private static final int SEQUENTIAL = 64;
    /** Then each thread owns REGION bytes of every file, for positional I/O. */
    private static final int REGION = 32;
    private static final int FILE_SIZE = SEQUENTIAL + THREADS * REGION;
    private static final int MAX_LEN = 16;

    @TempDir
    Path dir;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    /** @param spare descriptors kept free by the tracker's background thread (FdTracker.Builder#spare) */
    @ParameterizedTest(name = "spare {0}")
    @ValueSource(ints = {0, 2})
    void randomIoFromEightThreadsMatchesTheModelAndNeverExceedsTheCap(int spare) throws Exception {
        long seed = Long.getLong("fdcap.stress.seed", new Random().nextLong());
        String where = " (spare " + spare + ", seed " + seed + ", replay with -Dfdcap.stress.seed=" + seed + ")";
        Random setup = new Random(seed);
        byte[][] model = new byte[FILES][FILE_SIZE];
        for (int f = 0; f < FILES; f++) {
            setup.nextBytes(model[f]);
            Files.write(file(f), model[f]);
        }
        int baseline = openInProcess();
        SortedMap<Integer, String> baselineListing = Descriptors.listing();
        CountingSystemCalls counted = new CountingSystemCalls(SystemCalls.jnrPosix());
        FdTracker tracker = FdTracker.builder().capacity(CAPACITY).systemCalls(counted).spare(spare).build();
        assertEquals(spare, tracker.spare(), where);
        FsHandle[] handles = new FsHandle[FILES];
        for (int f = 0; f < FILES; f++) {
            handles[f] = tracker.open(file(f), OpenFlags.O_RDWR, 0);
        }
        // The background thread of spare may have suspended some already.
        int afterOpens = openInProcess();
        assertTrue(afterOpens <= baseline + CAPACITY && afterOpens >= baseline + CAPACITY - spare,
                "after the opens: " + afterOpens + where);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger highest = new AtomicInteger();
        AtomicInteger samples = new AtomicInteger();
        AtomicReference<SortedMap<Integer, String>> atHighest = new AtomicReference<>();
        int limit = baseline + CAPACITY;
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                // openInProcess() leaves out the listing's own descriptor, as for the baseline.
                int n = openInProcess();
                samples.incrementAndGet();
                if (n > highest.get()) {
                    highest.set(n);
                    // Listed right after the count: what was open at the highest count, as far
                    // as a second look can still see it.
                    atHighest.set(n > limit ? Descriptors.listing() : null);
                }
            }
        }, "fd-sampler");
        sampler.start();

        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Worker worker = new Worker(t, new Random(seed + t), handles, model);
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    worker.run();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "stress-" + t);
            workers.add(thread);
            thread.start();
        }
        start.countDown();
        for (Thread thread : workers) {
            thread.join();
        }
        running.set(false);
        sampler.join();

        if (failure.get() != null) {
            throw new AssertionError("a worker failed" + where, failure.get());
        }
        assertTrue(samples.get() > 10, "the sampler ran (" + samples.get() + " samples)" + where);
        assertTrue(counted.highest() <= CAPACITY, "the tracker's own system calls held up to " + counted.highest()
                + " descriptors at once, capacity " + CAPACITY + where);
        assertTrue(highest.get() <= limit, () -> "at most " + limit + " descriptors (baseline " + baseline
                + " + capacity " + CAPACITY + "), saw " + highest.get() + " (the tracker's own calls: at most "
                + counted.highest() + "); listed right after: "
                + Descriptors.beyond(baselineListing, atHighest.get(), dir)
                + "\n  (what the listing no longer shows was open for a moment only)" + where);
        // For the loop script (tools/repeat-test.sh): what this run saw.
        System.out.println("stress: highest " + highest.get() + " of " + limit + " allowed (baseline " + baseline
                + " + capacity " + CAPACITY + "), the tracker's own at most " + counted.highest() + ", "
                + samples.get() + " samples" + where);
        TrackerStats stats = tracker.stats();
        assertEquals(0, stats.errors(), "errors" + where + ": " + tracker.lastError());
        assertEquals(0, stats.pinned(), where);
        assertEquals(FILES, stats.open() + stats.suspended(), where);
        assertTrue(stats.open() <= CAPACITY, where);
        assertTrue(stats.restores() > 0 && stats.uses() >= (long) THREADS * OPS_PER_THREAD, stats + where);
        assertTrue(spare == 0 ? stats.suspendedAhead() == 0 : stats.suspendedAhead() > 0, stats + where);

        for (FsHandle h : handles) {
            h.close();
        }
        assertTrue(tracker.destroy().isEmpty(), where);
        assertEquals(baseline, openInProcess(), where);
        for (int f = 0; f < FILES; f++) {
            assertArrayEquals(model[f], Files.readAllBytes(file(f)), "file " + f + where);
            Files.delete(file(f));
        }
        assertDirectoryEmpty(dir);
    }

    private Path file(int f) {
        return dir.resolve("file-" + f);
    }

    /** One thread's random operations; it alone writes the bytes it checks. */
    private static final class Worker {
        private final int id;
        private final Random random;
        private final FsHandle[] handles;
        private final byte[][] model;
        /** The offset of each file whose sequential bytes this thread owns. */
        private final long[] offsets = new long[FILES];

        Worker(int id, Random random, FsHandle[] handles, byte[][] model) {
            this.id = id;
            this.random = random;
            this.handles = handles;
            this.model = model;
        }

        void run() throws IOException {
            for (int op = 0; op < OPS_PER_THREAD; op++) {
                int len = 1 + random.nextInt(MAX_LEN);
                switch (random.nextInt(8)) {
                    case 0 -> sequentialWrite(ownFile(), len);
                    case 1 -> sequentialRead(ownFile(), len);
                    case 2 -> positionalWrite(anyFile(), len);
                    case 3 -> positionalRead(anyFile(), len);
                    case 4 -> rawPositionalWrite(anyFile(), len);
                    case 5 -> rawPositionalRead(anyFile(), len);
                    case 6 -> rawSequentialWriteAndRead(ownFile(), len);
                    default -> assertEquals(FILE_SIZE, handles[anyFile()].size());
                }
            }
        }

        private int ownFile() {
            return id + THREADS * random.nextInt(FILES / THREADS);
        }

        private int anyFile() {
            return random.nextInt(FILES);
        }

        private long regionPosition(int len) {
            return SEQUENTIAL + (long) id * REGION + random.nextInt(REGION - len + 1);
        }

        private byte[] randomBytes(int len) {
            byte[] b = new byte[len];
            random.nextBytes(b);
            return b;
        }

        private void record(int f, long position, byte[] data) {
            System.arraycopy(data, 0, model[f], (int) position, data.length);
        }

        private byte[] expected(int f, long position, int len) {
            return Arrays.copyOfRange(model[f], (int) position, (int) position + len);
        }

        private void sequentialWrite(int f, int len) throws IOException {
            FsHandle h = handles[f];
            long position = random.nextInt(SEQUENTIAL - len + 1);
            byte[] data = randomBytes(len);
            h.seek(position);
            h.write(data, 0, len);
            record(f, position, data);
            offsets[f] = position + len;
            assertEquals(offsets[f], h.position(), "offset of file " + f);
        }

        private void sequentialRead(int f, int len) throws IOException {
            FsHandle h = handles[f];
            long position = offsets[f];
            if (position + len > SEQUENTIAL) {
                position = random.nextInt(SEQUENTIAL - len + 1);
                h.seek(position);
            }
            byte[] got = new byte[len];
            assertEquals(len, h.read(got, 0, len), "read of file " + f);
            assertArrayEquals(expected(f, position, len), got, "read of file " + f + " at " + position);
            offsets[f] = position + len;
        }

        private void positionalWrite(int f, int len) throws IOException {
            long position = regionPosition(len);
            byte[] data = randomBytes(len);
            handles[f].write(data, 0, len, position);
            record(f, position, data);
        }

        private void positionalRead(int f, int len) throws IOException {
            long position = regionPosition(len);
            assertArrayEquals(expected(f, position, len), Descriptors.readAt(handles[f], len, position),
                    "pread of file " + f + " at " + position);
        }

        private void rawPositionalWrite(int f, int len) throws IOException {
            long position = regionPosition(len);
            byte[] data = randomBytes(len);
            int fd = handles[f].acquire();
            try {
                Descriptors.pwriteFully(fd, data, position);
            } finally {
                handles[f].release();
            }
            record(f, position, data);
        }

        private void rawPositionalRead(int f, int len) throws IOException {
            long position = regionPosition(len);
            byte[] got;
            int fd = handles[f].acquire();
            try {
                got = Descriptors.preadFully(fd, len, position);
            } finally {
                handles[f].release();
            }
            assertArrayEquals(expected(f, position, len), got, "raw pread of file " + f + " at " + position);
        }

        /** Write at a fresh offset with raw calls; a later acquire must find the offset after it. */
        private void rawSequentialWriteAndRead(int f, int len) throws IOException {
            FsHandle h = handles[f];
            long position = random.nextInt(SEQUENTIAL - 2 * len + 1);
            byte[] data = randomBytes(len);
            int fd = h.acquire();
            try {
                assertEquals(position, Descriptors.POSIX.lseekLong(fd, position, 0));
                Descriptors.writeFully(fd, data);
            } finally {
                h.release();
            }
            record(f, position, data);
            fd = h.acquire();
            try {
                assertEquals(position + len, Descriptors.POSIX.lseekLong(fd, 0, 1), "offset of file " + f);
                byte[] next = new byte[len];
                assertEquals(len, Descriptors.POSIX.read(fd, next, len));
                assertArrayEquals(expected(f, position + len, len), next, "raw read of file " + f);
            } finally {
                h.release();
            }
            offsets[f] = position + 2L * len;
        }
    }
}
