package org.fdcap.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * The miss benchmark's reads ({@link ManyFilesReadBenchmark}: a seek and a 4 KiB read of a random
 * file among 2,000 of 16 KiB) in a plain loop on the main thread, outside JMH, for a profiler or
 * {@code strace} to look at one side at a time: {@code files}, every file opened once as a
 * {@link RandomAccessFile} and kept (run it with {@code -javaagent:... -Dfdcap.max=200} for the
 * agent), or {@code pool}, {@link LruFilePool} of 186 files (the tracker's capacity under that cap).
 * Prints the time per read of each of three rounds.
 *
 * <pre>
 * java [-agentpath:libasyncProfiler.so=start,event=cpu,interval=1ms,threads,collapsed,file=F] \
 *      [-javaagent:agent/target/fdcap-agent.jar -Dfdcap.max=200] \
 *      -cp bench/target/benchmarks.jar org.fdcap.bench.MissLoop files|pool [READS_PER_ROUND]
 * </pre>
 */
public final class MissLoop {
    private static final int FILES = 2000;
    private static final int POOL_SIZE = 186;

    private MissLoop() {
    }

    private static RandomAccessFile[] open(Path[] paths) throws IOException {
        RandomAccessFile[] rafs = new RandomAccessFile[paths.length];
        for (int i = 0; i < paths.length; i++) {
            rafs[i] = new RandomAccessFile(paths[i].toFile(), "r");
        }
        return rafs;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || !(args[0].equals("files") || args[0].equals("pool"))) {
            System.err.println("usage: MissLoop files|pool [READS_PER_ROUND]");
            System.exit(2);
        }
        boolean pool = args[0].equals("pool");
        int reads = args.length > 1 ? Integer.parseInt(args[1]) : 300_000;
        Path[] paths = DataFiles.ensure(FILES, ManyFilesReadBenchmark.FILE_SIZE);
        byte[] buf = new byte[DataFiles.BLOCK];
        Cursor c = new Cursor(FILES, ManyFilesReadBenchmark.FILE_SIZE, 42);
        long sum = 0;
        try (LruFilePool lru = pool ? new LruFilePool(paths, POOL_SIZE) : null) {
            RandomAccessFile[] rafs = pool ? null : open(paths);
            for (int round = 0; round < 3; round++) {
                long start = System.nanoTime();
                for (int i = 0; i < reads; i++) {
                    c.advance();
                    if (pool) {
                        sum += lru.read(c.file(), c.offset(), buf);
                    } else {
                        RandomAccessFile raf = rafs[c.file()];
                        raf.seek(c.offset());
                        sum += raf.read(buf);
                    }
                }
                System.out.printf("%s round %d: %d ns per read%n", args[0], round + 1, (System.nanoTime() - start) / reads);
            }
            if (rafs != null) {
                for (RandomAccessFile raf : rafs) {
                    raf.close();
                }
            }
        }
        System.out.println("bytes read: " + sum);
    }
}
