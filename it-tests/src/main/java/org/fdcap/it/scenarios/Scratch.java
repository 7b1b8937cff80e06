package org.fdcap.it.scenarios;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scenario work directories start empty, so that a scenario can run again in the same place. */
final class Scratch {
    private Scratch() {
    }

    static Path fresh(String dir) throws IOException {
        Path p = Path.of(dir);
        if (Files.exists(p)) {
            try (Stream<Path> all = Files.walk(p)) {
                for (Path q : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                    Files.delete(q);
                }
            }
        }
        return Files.createDirectories(p);
    }
}
