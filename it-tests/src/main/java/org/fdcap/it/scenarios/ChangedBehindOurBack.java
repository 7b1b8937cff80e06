package org.fdcap.it.scenarios;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file replaced by another process while its descriptor is suspended: the agent cannot keep the
 * old data (the name now leads to another file), so the next use must fail with a clear error
 * naming the file, never read the new file's data.
 *
 * <p>Usage: {@code ChangedBehindOurBack workDir pressureFiles}
 */
public final class ChangedBehindOurBack {
    private ChangedBehindOurBack() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        Pressure pressure = new Pressure(dir, Integer.parseInt(args[1]));
        Path victim = dir.resolve("victim");
        Files.write(victim, "old data".getBytes(StandardCharsets.US_ASCII));
        try (RandomAccessFile raf = new RandomAccessFile(victim.toFile(), "r")) {
            pressure.apply();
            Path tmp = dir.resolve("victim.new");
            Files.write(tmp, "new data".getBytes(StandardCharsets.US_ASCII));
            // another process replaces it: not something the agent can intercept
            Process mv = new ProcessBuilder("mv", tmp.toString(), victim.toString()).inheritIO().start();
            if (mv.waitFor() != 0) {
                throw new IllegalStateException("mv failed");
            }
            try {
                System.out.println("read: " + raf.readLine());
            } catch (IOException e) {
                System.out.println("read failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }
}
