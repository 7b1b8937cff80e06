package org.fdcap.agent.managed;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.agent.jdk.NativeCalls;
import org.fdcap.agent.ops.LeakLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.fdcap.agent.managed.InProcessAgent.numberOf;
import static org.fdcap.agent.managed.InProcessAgent.openDescriptors;
import static org.fdcap.agent.managed.InProcessAgent.pattern;
import static org.fdcap.agent.managed.InProcessAgent.readFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end of a managed descriptor: closed by the program (open or suspended, once or twice), closed
 * by the JDK behind the agent's back, or dropped unclosed and collected, its slot then given back by
 * the reaper; in every case the tracker forgets it and the process holds no descriptor for it.
 */
class ManagedFilesLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void closingAFileGivesBackItsDescriptorAndItsSlot() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        RandomAccessFile raf = agent.raf(a, "r");
        assertEquals(base + 1, openDescriptors());
        agent.close(raf);

        assertEquals(base, openDescriptors());
        assertEquals(0, agent.files.size());
        assertEquals(2, agent.tracker.room());
        assertTrue(agent.tracker.destroy().isEmpty());
    }

    @Test
    void closingASuspendedFileLetsTheJdkCloseItAndLeavesNothing() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        RandomAccessFile raf = agent.raf(a, "rw");
        agent.suspendAll();
        assertEquals(base, openDescriptors());
        agent.close(raf);

        assertEquals(base, openDescriptors());
        assertEquals(-1, numberOf(raf.getFD()));
        assertFalse(agent.files.isSuspended(raf.getFD()));
        assertEquals(0, agent.stats().suspended());
        assertEquals(2, agent.tracker.room());
        assertTrue(agent.tracker.destroy().isEmpty());
    }

    @Test
    void aSecondCloseDoesNothing() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));

        RandomAccessFile raf = agent.raf(a, "r");
        try (RandomAccessFile other = agent.raf(b, "r")) {
            agent.close(raf);
            int base = openDescriptors();
            agent.close(raf);

            assertNull(agent.files.enterClose(raf.getFD()));
            assertEquals(base, openDescriptors());
            assertEquals(1, agent.files.size());
            assertEquals(1, agent.tracker.room());
        }
    }

    @Test
    void theCloseOfAFilesChannelWithinItsCloseIsLeftToTheOuterOne() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        RandomAccessFile raf = agent.raf(a, "r");
        FileChannel ch = raf.getChannel();
        Object outer = agent.files.enterClose(raf.getFD());
        assertNotNull(outer);
        assertNull(agent.files.enterClose(JdkAccess.fdOfChannel(ch)), "RandomAccessFile.close closes its channel");
        raf.close();
        agent.files.exitClose(outer);

        assertEquals(0, agent.files.size());
        assertEquals(2, agent.tracker.room());
    }

    @Test
    void aSuspendedFileThatCannotBeRestoredStillClosesAndIsForgotten() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        RandomAccessFile raf = agent.raf(a, "r");
        agent.suspendAll();
        Files.delete(a); // not announced: nothing can reopen it
        agent.close(raf);

        assertEquals(base, openDescriptors());
        assertEquals(0, agent.files.size());
        assertEquals(2, agent.tracker.room());
        assertTrue(agent.tracker.destroy().isEmpty());
    }

    @Test
    void aDescriptorClosedBehindTheAgentsBackIsNeitherClosedAgainNorReopened() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));

        RandomAccessFile raf = agent.raf(a, "r");
        int number = numberOf(raf.getFD());
        JdkAccess.close(raf.getFD()); // as a stream built on getFD() closes it, or a channel's Closer
        try (RandomAccessFile other = new RandomAccessFile(b.toFile(), "r")) {
            assertEquals(number, numberOf(other.getFD()), "the number went to another file");
            int base = openDescriptors();

            assertEquals(0, agent.suspendAll(), "nothing of its own to close");
            agent.files.exit(agent.files.enter(raf.getFD()));
            agent.close(raf);

            assertEquals(-1, numberOf(raf.getFD()), "never reopened");
            assertEquals(base, openDescriptors());
            assertArrayEquals(pattern(10, 2), readFully(other, 10), "the other file's number left alone");
            assertEquals(0, agent.files.size());
            assertEquals(2, agent.tracker.room());
        }
    }

    @Test
    void anUnclosedFileCollectedGivesBackItsSlotAndItsDescriptor() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        openAndDrop(agent, a, false);
        assertEquals(base + 1, openDescriptors());

        agent.reapUntil("an open file dropped", () -> agent.files.size() == 0 && agent.stats().open() == 0
                && openDescriptors() == base);
        assertEquals(2, agent.tracker.room());
        assertTrue(agent.tracker.destroy().isEmpty());
    }

    @Test
    void anUnclosedSuspendedFileCollectedIsForgotten() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        openAndDrop(agent, a, true);
        assertEquals(1, agent.stats().suspended());

        agent.reapUntil("a suspended file dropped", () -> agent.files.size() == 0 && agent.stats().suspended() == 0);
        assertEquals(base, openDescriptors());
        assertEquals(2, agent.tracker.room());
        assertTrue(agent.tracker.destroy().isEmpty());
    }

    @Test
    void anUnclosedFileCollectedAfterARestoreGivesBackItsNewDescriptor() throws Exception {
        // The JDK's cleanup remembers a number: the restore registers it again for the new one.
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        openRestoreAndDrop(agent, a);
        assertEquals(base + 1, openDescriptors());
        assertEquals(1, agent.stats().restores());

        agent.reapUntil("a restored file dropped", () -> agent.files.size() == 0 && agent.stats().open() == 0
                && openDescriptors() == base);
        assertEquals(2, agent.tracker.room());
    }

    @Test
    void anUnclosedChannelCollectedGivesBackItsSlotAndItsDescriptor() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        openChannelAndDrop(agent, a);
        assertEquals(base + 1, openDescriptors());

        agent.reapUntil("a channel dropped", () -> agent.files.size() == 0 && agent.stats().open() == 0
                && openDescriptors() == base);
        assertEquals(2, agent.tracker.room());
    }

    @Test
    void aFileDroppedAfterItsNumberWentToAnotherFileClosesOnlyItsOwn() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path b = Files.write(dir.resolve("b"), pattern(100, 2));

        AtomicReference<RandomAccessFile> kept = new AtomicReference<>();
        int[] numbers = openDropAfterReuse(agent, a, b, kept);
        RandomAccessFile rb = kept.get();
        assertEquals(numbers[0], numbers[1], "b took the number a had before its suspension");
        assertNotEquals(numbers[0], numbers[2], "a was restored on another number");

        agent.reapUntil("a, dropped", () -> agent.files.size() == 1 && agent.stats().open() == 1);
        // The JDK's cleanup of a closed a's number of now, never the one it had when opened.
        assertEquals(numbers[1], numberOf(rb.getFD()));
        assertArrayEquals(NativeCalls.identity(b.toString()), NativeCalls.identity(numbers[1]));
        assertArrayEquals(pattern(100, 2), agent.use(rb, () -> readFully(rb, 100)));
        agent.close(rb);
    }

    @Test
    void aReaperRoundWaitsForACollectedFileAndReclaimsIt() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Throwable[] failure = new Throwable[1];
        Thread reaper = new Thread(() -> {
            try {
                agent.files.reclaimNext(60_000);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "test-reaper");

        openAndDrop(agent, a, true);
        reaper.start();
        for (int i = 0; i < 400 && reaper.isAlive(); i++) {
            System.gc();
            reaper.join(50);
        }

        assertFalse(reaper.isAlive(), "the round ended once the file was collected");
        assertNull(failure[0]);
        assertEquals(0, agent.files.size());
        assertEquals(0, agent.stats().suspended());
    }

    @Test
    void aReaperRoundWithNothingCollectedEndsAtItsTimeoutAndChangesNothing() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            long start = System.nanoTime();
            agent.files.reclaimNext(200);

            assertTrue(System.nanoTime() - start >= 150_000_000L);
            assertEquals(1, agent.files.size());
            assertEquals(1, agent.stats().open());
            assertEquals(1, agent.suspendAll());
        }
    }

    @Test
    void stillOpenListsTheOpenAndSuspendedFilesByPath() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));
        Path c = Files.write(dir.resolve("c"), pattern(10, 3));

        RandomAccessFile rb = agent.raf(b, "r");
        RandomAccessFile ra = agent.raf(a, "r");
        agent.close(agent.raf(c, "r"));
        agent.suspendAll();
        agent.use(ra, ra::read);

        assertEquals(List.of(new LeakLog.OpenFile(a.toString(), null, false),
                new LeakLog.OpenFile(b.toString(), null, true)), agent.files.stillOpen());
        agent.close(ra);
        agent.close(rb);
        assertEquals(List.of(), agent.files.stillOpen());
    }

    // ---- files dropped: opened in methods of their own, so that no frame of the test keeps them ----

    private static void openAndDrop(InProcessAgent agent, Path file, boolean suspended) throws IOException {
        RandomAccessFile raf = agent.raf(file, "r");
        agent.use(raf, raf::read);
        if (suspended) {
            agent.suspendAll();
        }
    }

    private static void openRestoreAndDrop(InProcessAgent agent, Path file) throws IOException {
        RandomAccessFile raf = agent.raf(file, "r");
        agent.suspendAll();
        agent.use(raf, raf::read);
    }

    private static void openChannelAndDrop(InProcessAgent agent, Path file) throws IOException {
        FileChannel ch = agent.channel(file);
        agent.use(ch, () -> ch.read(java.nio.ByteBuffer.allocate(4)));
    }

    /**
     * Opens a, suspends it, opens b (which takes a's old number) into {@code kept}, restores a on a
     * new number and drops it; returns {a's first number, b's, a's second}.
     */
    private static int[] openDropAfterReuse(InProcessAgent agent, Path a, Path b,
            AtomicReference<RandomAccessFile> kept) throws IOException {
        RandomAccessFile ra = agent.raf(a, "r");
        int first = numberOf(ra.getFD());
        agent.suspendAll();
        RandomAccessFile rb = agent.raf(b, "r");
        kept.set(rb);
        agent.use(ra, ra::read);
        return new int[] {first, numberOf(rb.getFD()), numberOf(ra.getFD())};
    }
}
