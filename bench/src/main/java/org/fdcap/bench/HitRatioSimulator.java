package org.fdcap.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.fdcap.core.EvictionPolicy;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.TrackerStats;

/**
 * Replays access traces through eviction policies and prints their hit ratios (Markdown).
 *
 * <p>The fdcap columns are the real thing, not a model: a core {@link FdTracker} of the given
 * capacity over real (empty) files, one handle per file, each access an {@code acquire()} and
 * {@code release()}; the hit ratio comes from the tracker's own counters (1 - restores / uses).
 * Next to them: pure LRU (a {@link LinkedHashMap} in access order), Caffeine's W-TinyLFU (what a
 * good general-purpose policy achieves) and Belady's optimum (evict the file used again furthest in
 * the future: no policy can do better).
 *
 * <p>Traces (files 2,000 and capacity 200 unless given): {@code scan} reads the files in a cycle,
 * pure LRU's worst case; {@code zipf-S} draws files from a Zipf law of exponent S; {@code
 * zipf+scan} takes every other access from a Zipf(0.9) law and the others from a cyclic scan;
 * {@code shifting-zipf} is Zipf(1.0) whose popular files change every 50,000 accesses. The first
 * fifth of each trace warms up and is not counted.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.fdcap.bench.HitRatioSimulator [--files N] [--capacity N] [--length N]
 * </pre>
 */
public final class HitRatioSimulator {
    private HitRatioSimulator() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int files = Integer.parseInt(opts.getOrDefault("files", "2000"));
        int capacity = Integer.parseInt(opts.getOrDefault("capacity", "200"));
        int length = Integer.parseInt(opts.getOrDefault("length", "200000"));

        Map<String, int[]> traces = new LinkedHashMap<>();
        traces.put("scan", scan(files, length));
        for (double s : new double[] {0.8, 1.0, 1.2}) {
            traces.put(String.format(Locale.ROOT, "zipf-%.1f", s), zipf(files, length, s, 1, length));
        }
        traces.put("zipf+scan", mix(zipf(files, length, 0.9, 2, length), scan(files, length)));
        traces.put("shifting-zipf", zipf(files, length, 1.0, 3, 50_000));

        System.out.printf(Locale.ROOT, "Hit ratios, %d files, capacity %d, %d accesses per trace (the first %d not"
                + " counted)%n%n", files, capacity, length, length / 5);
        System.out.println("| trace | optimum (Belady) | pure LRU | fdcap LRU | fdcap SCAN_RESISTANT (default) | Caffeine"
                + " W-TinyLFU |");
        System.out.println("|---|---|---|---|---|---|");
        Path dir = Files.createTempDirectory("fdcap-sim");
        try {
            for (Map.Entry<String, int[]> t : traces.entrySet()) {
                int[] trace = t.getValue();
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", t.getKey(),
                        pct(optimum(trace, files, capacity)), pct(lru(trace, capacity)),
                        pct(tracker(trace, files, capacity, EvictionPolicy.LRU, dir)),
                        pct(tracker(trace, files, capacity, EvictionPolicy.SCAN_RESISTANT, dir)),
                        pct(caffeine(trace, capacity)));
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    // ---- traces ----

    static int[] scan(int files, int length) {
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            t[i] = i % files;
        }
        return t;
    }

    /** Zipf(exponent) over the files; which files are popular is reshuffled every {@code period} accesses. */
    static int[] zipf(int files, int length, double exponent, long seed, int period) {
        double[] cdf = new double[files];
        double sum = 0;
        for (int r = 0; r < files; r++) {
            sum += 1 / Math.pow(r + 1, exponent);
            cdf[r] = sum;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] rankToFile = shuffled(files, random);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            if (i > 0 && i % period == 0) {
                rankToFile = shuffled(files, random);
            }
            int rank = Arrays.binarySearch(cdf, random.nextDouble() * sum);
            t[i] = rankToFile[rank < 0 ? -rank - 1 : rank];
        }
        return t;
    }

    private static int[] mix(int[] a, int[] b) {
        int[] t = new int[a.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = i % 2 == 0 ? a[i] : b[i / 2];
        }
        return t;
    }

    private static int[] shuffled(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }

    // ---- policies: each returns the hit ratio over the counted part of the trace ----

    private static int warmUp(int[] trace) {
        return trace.length / 5;
    }

    static double lru(int[] trace, int capacity) {
        LinkedHashMap<Integer, Boolean> cache = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                return size() > capacity;
            }
        };
        long hits = 0;
        for (int i = 0; i < trace.length; i++) {
            boolean hit = cache.get(trace[i]) != null;
            if (!hit) {
                cache.put(trace[i], Boolean.TRUE);
            }
            if (hit && i >= warmUp(trace)) {
                hits++;
            }
        }
        return hits / (double) (trace.length - warmUp(trace));
    }

    static double caffeine(int[] trace, int capacity) {
        Cache<Integer, Boolean> cache = Caffeine.newBuilder().maximumSize(capacity).executor(Runnable::run).build();
        long hits = 0;
        for (int i = 0; i < trace.length; i++) {
            boolean hit = cache.getIfPresent(trace[i]) != null;
            if (!hit) {
                cache.put(trace[i], Boolean.TRUE);
            }
            if (hit && i >= warmUp(trace)) {
                hits++;
            }
        }
        return hits / (double) (trace.length - warmUp(trace));
    }

    /** Belady: on a miss with the cache full, evict the file whose next use is furthest away. */
    static double optimum(int[] trace, int files, int capacity) {
        int[] nextUse = new int[trace.length];
        int[] seen = new int[files];
        Arrays.fill(seen, Integer.MAX_VALUE);
        for (int i = trace.length - 1; i >= 0; i--) {
            nextUse[i] = seen[trace[i]];
            seen[trace[i]] = i;
        }
        boolean[] cached = new boolean[files];
        int[] cachedNext = new int[files];
        // Max-heap of (next use, file); stale entries are skipped.
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> Long.compare(b[0], a[0]));
        int size = 0;
        long hits = 0;
        for (int i = 0; i < trace.length; i++) {
            int f = trace[i];
            if (cached[f]) {
                if (i >= warmUp(trace)) {
                    hits++;
                }
            } else {
                if (size == capacity) {
                    for (;;) {
                        long[] top = heap.poll();
                        int victim = (int) top[1];
                        if (cached[victim] && cachedNext[victim] == top[0]) {
                            cached[victim] = false;
                            size--;
                            break;
                        }
                    }
                }
                cached[f] = true;
                size++;
            }
            cachedNext[f] = nextUse[i];
            heap.add(new long[] {nextUse[i], f});
        }
        return hits / (double) (trace.length - warmUp(trace));
    }

    /** The real tracker, real files: one handle per file, acquire + release per access. */
    static double tracker(int[] trace, int files, int capacity, EvictionPolicy policy, Path dir) throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(capacity).evictionPolicy(policy).build();
        List<FsHandle> handles = new ArrayList<>(files);
        try {
            for (int f = 0; f < files; f++) {
                handles.add(tracker.open(dir.resolve("file-" + f), OpenFlags.O_RDONLY | OpenFlags.O_CREAT, 0600));
            }
            TrackerStats before = null;
            for (int i = 0; i < trace.length; i++) {
                if (i == warmUp(trace)) {
                    before = tracker.stats();
                }
                FsHandle h = handles.get(trace[i]);
                h.acquire();
                h.release();
            }
            TrackerStats after = tracker.stats();
            long uses = after.uses() - before.uses();
            long misses = after.restores() - before.restores();
            if (after.errors() != 0 || uses != trace.length - warmUp(trace)) {
                throw new IllegalStateException("tracker run went wrong: " + after);
            }
            return 1 - misses / (double) uses;
        } finally {
            for (FsHandle h : handles) {
                h.close();
            }
            tracker.destroy();
        }
    }

    private static String pct(double ratio) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
    }
}
