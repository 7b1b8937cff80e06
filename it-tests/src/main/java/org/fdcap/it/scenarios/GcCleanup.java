package org.fdcap.it.scenarios;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Files the program forgets to close: the GC must clean them as without the agent (the agent
 * holds nothing strongly), and the JDK's cleanup must never close a number that meanwhile belongs
 * to another file: every round opens new files (reusing those numbers) and checks their content.
 *
 * <p>Usage: {@code GcCleanup workDir rounds filesPerRound}
 */
public final class GcCleanup {
    private GcCleanup() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int perRound = Integer.parseInt(args[2]);
        int verified = 0;
        for (int r = 0; r < rounds; r++) {
            // leaked: never closed, unreachable after this loop
            for (int i = 0; i < perRound; i++) {
                RandomAccessFile raf = new RandomAccessFile(dir.resolve("leak-" + r + "-" + i).toFile(), "rw");
                raf.write(("leaked " + i).getBytes(StandardCharsets.US_ASCII));
                FileChannel ch = FileChannel.open(dir.resolve("leakch-" + r + "-" + i), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                ch.write(ByteBuffer.wrap(new byte[] {1}));
            }
            System.gc();
            Thread.sleep(50);
            // kept: opened while the cleanups run, checked after them
            RandomAccessFile[] kept = new RandomAccessFile[perRound];
            for (int i = 0; i < perRound; i++) {
                kept[i] = new RandomAccessFile(dir.resolve("kept-" + r + "-" + i).toFile(), "rw");
                kept[i].write(("kept " + r + " " + i).getBytes(StandardCharsets.US_ASCII));
            }
            System.gc();
            Thread.sleep(50);
            for (int i = 0; i < perRound; i++) {
                kept[i].seek(0);
                byte[] b = new byte[(int) kept[i].length()];
                kept[i].readFully(b);
                if (new String(b, StandardCharsets.US_ASCII).equals("kept " + r + " " + i)) {
                    verified++;
                }
                kept[i].close();
            }
        }
        System.out.println("verified: " + verified + " of " + rounds * perRound);
    }
}
