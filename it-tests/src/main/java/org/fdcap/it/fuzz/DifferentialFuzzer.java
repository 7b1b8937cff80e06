package org.fdcap.it.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The differential fuzzer's program: for each seed, {@code threads} workers ({@link FuzzWorker})
 * each run a seeded random program over their own files and handles, recording every result
 * (values, positions, sizes, exception classes) into a digest; then the final content of every
 * file goes into it too. One line per seed: {@code seed=S threads=T digest=HEX}. Run once without
 * the agent and once under it at a tiny cap, the lines must be equal: the agent changes how many
 * descriptors the program holds, never what it computes.
 *
 * <p>Workers never share a file, so a run without the agent is deterministic per seed for any
 * number of threads, and the digest combines the workers' digests in worker order.
 *
 * <p>Usage: {@code DifferentialFuzzer workDir firstSeed seedCount threads opsPerThread [trace]};
 * with {@code trace} every record is printed as well (to diff two runs of one seed).
 */
public final class DifferentialFuzzer {
    private DifferentialFuzzer() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]).toAbsolutePath();
        long first = Long.parseLong(args[1]);
        int count = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        int ops = Integer.parseInt(args[4]);
        boolean trace = args.length > 5 && args[5].equals("trace");
        deleteTree(work);
        Files.createDirectories(work);
        for (long seed = first; seed < first + count; seed++) {
            String digest = runSeed(work.resolve("seed-" + seed), seed, threads, ops, trace);
            System.out.println("seed=" + seed + " threads=" + threads + " digest=" + digest);
        }
        deleteTree(work);
        System.out.println("done");
    }

    /** Runs one seed in {@code dir} (removed afterwards) and returns its digest. */
    static String runSeed(Path dir, long seed, int threads, int ops, boolean trace) throws Exception {
        Files.createDirectories(dir);
        List<FuzzWorker> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Path own = Files.createDirectories(dir.resolve("t" + t));
            workers.add(new FuzzWorker(own, seed * 1_000_003L + t, ops, handlesPerWorker(threads), trace));
        }
        List<Thread> running = new ArrayList<>();
        for (FuzzWorker w : workers) {
            Thread th = new Thread(w, "fuzz-" + running.size());
            running.add(th);
            th.start();
        }
        for (Thread th : running) {
            th.join();
        }
        for (FuzzWorker w : workers) {
            System.out.print(w.log());
        }
        MessageDigest all = sha256();
        for (FuzzWorker w : workers) {
            if (w.failure() != null) {
                // Only a bug of the fuzzer itself ends here (every operation's outcome is recorded).
                throw new IllegalStateException("worker failed on seed " + seed, w.failure());
            }
            all.update(w.digest());
            all.update(contentDigest(w.dir()));
        }
        deleteTree(dir);
        return HexFormat.of().formatHex(all.digest()).substring(0, 32);
    }

    /** Hundreds of handles in all: 240 for one worker, at least 80 per worker with more. */
    static int handlesPerWorker(int threads) {
        return Math.max(80, 240 / threads);
    }

    /** Every regular file under {@code dir} by relative name, with its bytes and size. */
    static byte[] contentDigest(Path dir) throws IOException {
        MessageDigest md = sha256();
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> sorted = new ArrayList<>();
            files.filter(Files::isRegularFile).forEach(sorted::add);
            sorted.sort(Comparator.comparing(Path::toString));
            for (Path p : sorted) {
                byte[] bytes = Files.readAllBytes(p);
                md.update((dir.relativize(p) + ":" + bytes.length + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(bytes);
            }
        }
        return md.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            all.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.delete(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
