package org.fdcap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The files the read benchmarks read: {@code count} files of {@code size} bytes each, filled with
 * bytes from a fixed seed, under {@code <java.io.tmpdir>/fdcap-bench-data/<count>x<size>}. They are
 * made once and reused by every fork (and every later run), so that the runs with and without the
 * agent read the very same data. A directory is complete only once renamed into place.
 */
final class DataFiles {
    static final int BLOCK = 4096;

    private DataFiles() {
    }

    /** The paths of the data set, created first if missing. */
    static Path[] ensure(int count, int size) {
        if (size % BLOCK != 0 || count <= 0) {
            throw new IllegalArgumentException("count " + count + ", size " + size + " (a multiple of " + BLOCK + ")");
        }
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "fdcap-bench-data");
        Path dir = root.resolve(count + "x" + size);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(root);
                Path staging = Files.createTempDirectory(root, "staging-");
                byte[] data = new byte[size];
                for (int i = 0; i < count; i++) {
                    new SplittableRandom(i).nextBytes(data);
                    try (FileChannel ch = FileChannel.open(staging.resolve(name(i)), StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE)) {
                        ByteBuffer b = ByteBuffer.wrap(data);
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                }
                try {
                    Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                    delete(staging);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path[] paths = new Path[count];
        for (int i = 0; i < count; i++) {
            paths[i] = dir.resolve(name(i));
            if (!Files.isRegularFile(paths[i])) {
                throw new IllegalStateException(paths[i] + " is missing: delete " + dir + " and run again");
            }
        }
        return paths;
    }

    private static String name(int i) {
        return String.format("file-%05d", i);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
