package org.fdcap.it.scenarios;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.TreeSet;

/**
 * What the agent left behind in this process once it started: the jffi library mapped into it (the
 * path, or "none") and the descriptors open on {@code /dev/random} or {@code /dev/urandom}. Prints
 * {@code jffi <path>}, {@code random <n>} and the value of {@code jffi.boot.library.path}.
 */
public final class NativeLibraries {
    private NativeLibraries() {
    }

    public static void main(String[] args) throws IOException {
        TreeSet<String> jffi = new TreeSet<>();
        for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.contains("jffi")) {
                jffi.add(line.substring(slash));
            }
        }
        int random = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.equals("/dev/random") || target.equals("/dev/urandom")) {
                        random++;
                    }
                } catch (IOException gone) {
                    // the stream's own descriptor, closed meanwhile
                }
            }
        }
        System.out.println("jffi " + (jffi.isEmpty() ? "none" : String.join(" ", jffi)));
        System.out.println("random " + random);
        System.out.println("property " + System.getProperty("jffi.boot.library.path"));
    }
}
