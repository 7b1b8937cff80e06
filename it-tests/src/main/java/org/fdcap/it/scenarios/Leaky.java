package org.fdcap.it.scenarios;

import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A program that leaks: two files kept reachable and never closed, ten dropped without close()
 * (collected by the GC), and one closed properly.
 *
 * <p>Usage: {@code Leaky workDir}
 */
public final class Leaky {
    private static final List<Object> KEPT = new ArrayList<>();

    private Leaky() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        openAndForget(dir.resolve("kept-raf"));
        openForgottenChannel(dir.resolve("kept-channel"));
        try (RandomAccessFile closed = new RandomAccessFile(dir.resolve("closed-raf").toFile(), "rw")) {
            closed.write(1);
        }
        for (int i = 0; i < 10; i++) {
            openAndDrop(dir.resolve("dropped-" + i));
        }
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
        }
        System.out.println("done");
    }

    private static void openAndForget(Path p) throws Exception {
        RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw");
        raf.write(42);
        KEPT.add(raf);
    }

    private static void openForgottenChannel(Path p) throws Exception {
        KEPT.add(FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE));
    }

    private static void openAndDrop(Path p) throws Exception {
        new RandomAccessFile(p.toFile(), "rw").write(7);
    }
}
