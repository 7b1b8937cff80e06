package org.fdcap.it.scenarios;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Forces every idle managed descriptor to be suspended: opens more files than the cap allows,
 * touches each, and closes them. Without the agent (and no limit) it is only busy work.
 */
final class Pressure {
    private final Path dir;
    private final int files;

    Pressure(Path dir, int files) throws IOException {
        this.dir = Files.createDirectories(dir.resolve("pressure"));
        this.files = files;
    }

    void apply() throws IOException {
        RandomAccessFile[] open = new RandomAccessFile[files];
        try {
            for (int i = 0; i < files; i++) {
                open[i] = new RandomAccessFile(dir.resolve("p" + i).toFile(), "rw");
                open[i].write(i);
            }
        } finally {
            for (RandomAccessFile f : open) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }
}
