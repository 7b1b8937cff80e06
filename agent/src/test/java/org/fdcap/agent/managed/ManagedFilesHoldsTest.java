package org.fdcap.agent.managed;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.fdcap.agent.jdk.JdkAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.fdcap.agent.managed.InProcessAgent.openDescriptors;
import static org.fdcap.agent.managed.InProcessAgent.pattern;
import static org.fdcap.agent.managed.InProcessAgent.readFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What keeps a managed file open for as long as its reason lasts, and no longer: a lock held on
 * the file (closing any descriptor of it would drop the lock), a descriptor escaped for good
 * ({@code fdcap.getfd=pin}).
 */
class ManagedFilesHoldsTest {
    @TempDir
    Path dir;

    /** {@code ch.lock()} as the advice of {@code FileChannelImpl.lock} does it. */
    private static FileLock lock(InProcessAgent agent, FileChannel ch) throws IOException {
        Object pin = agent.files.enter(JdkAccess.fdOfChannel(ch));
        Object hold = agent.files.lockStarting(JdkAccess.fdOfChannel(ch));
        FileLock lock = null;
        try {
            lock = ch.lock();
            return lock;
        } finally {
            agent.files.lockDone(hold, lock);
            agent.files.exit(pin);
        }
    }

    /** {@code lock.release()}, with the advice of {@code FileLockImpl.invalidate}. */
    private static void release(InProcessAgent agent, FileLock lock) throws IOException {
        lock.release();
        agent.files.unlocked(lock);
    }

    @Test
    void aLockedFileIsNeverSuspendedUntilItsLockIsReleased() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (FileChannel ch = agent.channel(a, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = lock(agent, ch);
            assertEquals(0, agent.suspendAll());
            assertEquals(1, agent.stats().locked());
            assertTrue(lock.isValid());

            release(agent, lock);
            assertEquals(0, agent.stats().locked());
            assertEquals(1, agent.suspendAll());
        }
    }

    @Test
    void aLockTakenThroughADescriptorNotManagedHoldsTheManagedOnesOfItsFile() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "r");
                FileChannel unmanaged = FileChannel.open(a, StandardOpenOption.WRITE)) {
            FileLock lock = lock(agent, unmanaged);
            assertEquals(0, agent.suspendAll());

            release(agent, lock);
            assertEquals(1, agent.suspendAll());
        }
    }

    @Test
    void closingTheLockingChannelEndsTheHold() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(3);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            FileChannel ch = agent.channel(a, StandardOpenOption.WRITE);
            FileLock lock = lock(agent, ch);
            assertEquals(0, agent.suspendAll());

            agent.close(ch);
            agent.files.unlocked(lock); // FileLockImpl.invalidate, called by the channel's close
            assertFalse(lock.isValid());
            assertEquals(1, agent.suspendAll());
        }
    }

    @Test
    void aTryLockThatGetsNothingHoldsNothing() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "rw")) {
            Object hold = agent.files.lockStarting(raf.getFD());
            assertNotNull(hold);
            assertEquals(0, agent.suspendAll(), "held from the attempt on");
            agent.files.lockDone(hold, null); // tryLock returned null: taken by another process

            assertEquals(1, agent.suspendAll());
        }
    }

    @Test
    void aSuspendedFileLockedMeanwhileIsKeptOpenOnceRestored() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));

        try (RandomAccessFile raf = agent.raf(a, "r");
                FileChannel unmanaged = FileChannel.open(a, StandardOpenOption.WRITE)) {
            agent.suspendAll();
            FileLock lock = lock(agent, unmanaged);
            assertTrue(agent.files.isSuspended(raf.getFD()), "opening never drops a lock: not restored for it");

            assertArrayEquals(pattern(100, 1), agent.use(raf, () -> readFully(raf, 100)));
            assertEquals(0, agent.suspendAll());

            release(agent, lock);
            assertEquals(1, agent.suspendAll());
        }
    }

    @Test
    void whenEveryFileUnderTheCapIsLockedAnOpenFailsAtOnce() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));
        Path c = Files.write(dir.resolve("c"), pattern(10, 3));

        try (RandomAccessFile ra = agent.raf(a, "rw"); RandomAccessFile rb = agent.raf(b, "rw")) {
            FileLock la = lock(agent, ra.getChannel());
            FileLock lb = lock(agent, rb.getChannel());

            FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> agent.raf(c, "r"));
            assertTrue(e.getMessage().endsWith("(Too many open files)"), e.getMessage());
            assertEquals(2, agent.stats().locked());

            release(agent, la);
            try (RandomAccessFile rc = agent.raf(c, "r")) {
                assertTrue(agent.files.isSuspended(ra.getFD()));
            }
            release(agent, lb);
        }
    }

    @Test
    void aLockWhoseChannelIsDroppedUnclosedEndsItsHoldInAReaperRound() throws Exception {
        // No managed descriptor is collected here: the reaper must see the lock collected alone.
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            int base = openDescriptors();
            lockThroughAChannelDroppedUnclosed(agent, a);
            assertEquals(0, agent.suspendAll());

            // and its channel closed by the JDK's cleanup, not in some later test
            agent.reapUntil("the hold of a lock dropped with its channel", () -> agent.stats().locked() == 0
                    && openDescriptors() == base);
            assertEquals(1, agent.suspendAll());
            assertTrue(agent.files.isSuspended(raf.getFD()));
        }
    }

    private static void lockThroughAChannelDroppedUnclosed(InProcessAgent agent, Path file) throws IOException {
        lock(agent, FileChannel.open(file, StandardOpenOption.WRITE));
    }

    @Test
    void withGetFdPinnedAnEscapedDescriptorIsNeverSuspendedUntilClosed() throws Exception {
        InProcessAgent agent = InProcessAgent.create(2, List.of(), false, true);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        int base = openDescriptors();

        RandomAccessFile raf = agent.raf(a, "r");
        agent.files.escaped(raf.getFD());
        assertEquals(0, agent.suspendAll());
        assertEquals(1, agent.stats().escaped());

        agent.close(raf);
        assertEquals(0, agent.stats().escaped());
        assertEquals(2, agent.tracker.room());
        assertEquals(base, openDescriptors());
    }

    @Test
    void byDefaultAnEscapedDescriptorIsFollowedAndAStreamOnItSharesItsHandle() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        byte[] content = pattern(100, 1);
        Path a = Files.write(dir.resolve("a"), content);

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            agent.files.escaped(raf.getFD());
            FileInputStream in = new FileInputStream(raf.getFD());
            agent.files.sharedWithStream(raf.getFD());
            agent.use(raf, () -> readFully(raf, 40));
            assertEquals(1, agent.suspendAll(), "not pinned: getFD() is followed");

            byte[] next = agent.use(in.getFD(), () -> in.readNBytes(30));
            assertArrayEquals(Arrays.copyOfRange(content, 40, 70), next);
            assertEquals(70, agent.use(raf, raf::getFilePointer));
            assertEquals(1, agent.files.size());
        }
    }
}
