package org.fdcap.it.scenarios;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Channels closed by an interrupt ({@code ClosedByInterruptException}): each must give its slot
 * back, so hundreds of them in a row never exhaust the cap.
 *
 * <p>Usage: {@code InterruptedChannels workDir count}
 */
public final class InterruptedChannels {
    private InterruptedChannels() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Scratch.fresh(args[0]);
        int count = Integer.parseInt(args[1]);
        Path p = dir.resolve("data");
        Files.write(p, new byte[4096]);
        int closedByInterrupt = 0;
        for (int i = 0; i < count; i++) {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
            boolean[] result = new boolean[1];
            Thread reader = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(16);
                try {
                    Thread.currentThread().interrupt();
                    ch.read(b, 0);
                } catch (ClosedByInterruptException e) {
                    result[0] = true;
                } catch (Exception e) {
                    result[0] = false;
                }
            });
            reader.start();
            reader.join();
            if (result[0] && !ch.isOpen()) {
                closedByInterrupt++;
            }
        }
        System.out.println("closed by interrupt: " + closedByInterrupt + " of " + count);
    }
}
