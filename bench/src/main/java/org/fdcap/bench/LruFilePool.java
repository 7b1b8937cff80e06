package org.fdcap.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What programs write instead of fdcap: a pool of at most {@code capacity} open
 * {@link RandomAccessFile}s, a {@link LinkedHashMap} in access order that closes the eldest, and
 * one lock around everything (the lookup, the open and close, the seek and the read), since a
 * file could otherwise be closed by another thread in the middle of a read.
 */
final class LruFilePool implements AutoCloseable {
    private final Path[] paths;
    private final LinkedHashMap<Integer, RandomAccessFile> open;
    long opens;

    LruFilePool(Path[] paths, int capacity) {
        this.paths = paths;
        this.open = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, RandomAccessFile> eldest) {
                if (size() <= capacity) {
                    return false;
                }
                try {
                    eldest.getValue().close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return true;
            }
        };
    }

    /** Reads into {@code buf} from {@code offset} of file {@code file}; returns the bytes read. */
    synchronized int read(int file, long offset, byte[] buf) throws IOException {
        RandomAccessFile raf = open.get(file);
        if (raf == null) {
            raf = new RandomAccessFile(paths[file].toFile(), "r");
            opens++;
            open.put(file, raf);
        }
        raf.seek(offset);
        return raf.read(buf);
    }

    @Override
    public synchronized void close() throws IOException {
        for (RandomAccessFile raf : open.values()) {
            raf.close();
        }
        open.clear();
    }
}
