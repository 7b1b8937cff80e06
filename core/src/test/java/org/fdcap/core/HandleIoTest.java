package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertContent;
import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.fdcap.core.Descriptors.bytes;
import static org.fdcap.core.Descriptors.readAt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handle's I/O survives suspensions exactly: the offset, positional reads and writes, seek,
 * position, size and truncate. Every test runs at capacity 1 with a second handle whose use
 * suspends the one under test.
 */
class HandleIoTest {
    @TempDir
    Path dir;
    private FdTracker tracker;
    private FsHandle h;
    private FsHandle displacer;
    private Path file;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    @BeforeEach
    void openHandles() throws IOException {
        tracker = FdTracker.builder().capacity(1).build();
        file = dir.resolve("file");
        h = tracker.open(file, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        displacer = tracker.open(dir.resolve("displacer"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
    }

    @AfterEach
    void closeHandlesAndCheckNothingIsLeft() throws IOException {
        assertEquals(0, tracker.stats().pinned(), "every convenience call released its pin");
        assertEquals(0, tracker.stats().errors());
        h.close();
        displacer.close();
        assertTrue(tracker.destroy().isEmpty());
        Files.delete(file);
        Files.delete(dir.resolve("displacer"));
        assertDirectoryEmpty(dir);
    }

    private void suspend() throws IOException {
        displacer.acquire();
        displacer.release();
        assertTrue(h.isSuspended(), "the handle under test is suspended");
    }

    @Test
    void offsetIsRestoredAfterSuspension() throws IOException {
        h.write(bytes("abcdef"), 0, 6);
        h.seek(2);
        suspend();
        assertEquals(2, h.position());
        suspend();
        byte[] two = new byte[2];
        assertEquals(2, h.read(two, 0, 2));
        assertArrayEquals(bytes("cd"), two);
        suspend();
        assertEquals(2, h.read(two, 0, 2));
        assertArrayEquals(bytes("ef"), two);
        suspend();
        assertEquals(-1, h.read(two, 0, 2), "end of file");
    }

    @Test
    void seekingASuspendedHandleMovesItsOffsetWithoutReopeningIt() throws IOException {
        h.write(bytes("abcdefgh"), 0, 8);
        suspend();
        long restores = tracker.stats().restores();
        h.seek(3);
        h.seek(5);
        assertTrue(h.isSuspended(), "seek alone does not restore");
        assertEquals(restores, tracker.stats().restores());
        assertEquals(5, h.offsetIfSuspended());
        assertEquals(5, h.position(), "the saved offset, without a restore");
        assertEquals(restores, tracker.stats().restores());
        byte[] two = new byte[2];
        assertEquals(2, h.read(two, 0, 2));
        assertArrayEquals(bytes("fg"), two, "restored at the last offset sought");
        assertEquals(restores + 1, tracker.stats().restores());
        assertEquals(7, h.position());
    }

    @Test
    void seekIfSuspendedAnswersFalseAndChangesNothingOnAnOpenHandle() throws IOException {
        h.write(bytes("abcdef"), 0, 6);
        assertFalse(h.seekIfSuspended(1), "open: the caller seeks itself");
        assertEquals(-1, h.offsetIfSuspended(), "open: the caller asks the descriptor");
        assertEquals(6, h.position());
        suspend();
        assertTrue(h.seekIfSuspended(100), "beyond the end, as lseek allows");
        assertTrue(h.seekIfSuspended(2));
        assertEquals(2, h.position());
        assertThrows(IllegalArgumentException.class, () -> h.seekIfSuspended(-1));
        suspend();
        assertThrows(IllegalArgumentException.class, () -> h.seekIfSuspended(-1));
        assertTrue(h.isSuspended(), "a refused offset leaves the handle as it was");
        assertEquals(2, h.position());
    }

    @Test
    void sequentialWritesContinueWhereTheyStoppedAcrossSuspensions() throws IOException {
        for (String part : new String[] {"one ", "two ", "three"}) {
            h.write(bytes(part), 0, part.length());
            suspend();
        }
        assertContent("one two three", file);
        assertEquals(13, h.position());
    }

    @Test
    void positionalWritesAndReadsSurviveSuspensionAndLeaveTheOffsetAlone() throws IOException {
        h.write(bytes("world"), 0, 5, 6);
        suspend();
        h.write(bytes("hello "), 0, 6, 0);
        suspend();
        assertArrayEquals(bytes("hello world"), readAt(h, 11, 0));
        suspend();
        assertArrayEquals(bytes("wor"), readAt(h, 3, 6));
        assertEquals(0, h.position(), "positional I/O does not move the offset");
    }

    @Test
    void offsetBeyondTheEndOfFileIsRestored() throws IOException {
        h.seek(100);
        suspend();
        assertEquals(100, h.position());
        h.write(bytes("x"), 0, 1);
        assertEquals(101, h.size());
        byte[] expected = new byte[101];
        expected[100] = 'x';
        assertContent(expected, file);
    }

    @Test
    void sizeAndTruncateWorkAcrossSuspensions() throws IOException {
        h.write(bytes("0123456789"), 0, 10);
        suspend();
        assertEquals(10, h.size());
        suspend();
        h.truncate(4);
        suspend();
        assertEquals(4, h.size());
        assertContent("0123", file);
        assertEquals(10, h.position(), "truncate does not move the offset");
        h.write(bytes("Z"), 0, 1);
        assertContent(bytes("0123\0\0\0\0\0\0Z"), file);
    }

    @Test
    void readsAndWritesHonourTheArrayOffset() throws IOException {
        byte[] source = bytes("__payload__");
        h.write(source, 2, 7);
        suspend();
        h.write(source, 2, 3, 7);
        assertContent("payloadpay", file);
        byte[] target = new byte[12];
        assertEquals(7, h.read(target, 5, 7, 0));
        assertArrayEquals(bytes("\0\0\0\0\0payload"), target);
        suspend();
        assertThrows(IndexOutOfBoundsException.class, () -> h.read(target, 10, 5, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> h.write(source, -1, 2));
        assertTrue(h.isSuspended(), "a bounds error does not even restore the handle");
    }

    @Test
    void forceRestoresASuspendedHandle() throws IOException {
        h.write(bytes("data"), 0, 4);
        suspend();
        h.force();
        assertFalse(h.isSuspended());
        assertTrue(displacer.isSuspended());
        assertContent("data", file);
    }

    @Test
    void acquireOfAnOpenHandleReturnsTheSameDescriptorAndCountsPins() throws IOException {
        int first = h.acquire();
        int second = h.acquire();
        assertEquals(first, second);
        assertEquals(2, h.pins());
        assertEquals(1, tracker.stats().pinned(), "pinned counts handles, not pins");
        h.release();
        assertEquals(1, h.pins());
        h.release();
        assertEquals(0, h.pins());
    }

    @Test
    void usesAndMissesAreCounted() throws IOException {
        TrackerStats start = tracker.stats();
        assertEquals(0, start.uses());
        h.size(); // miss: h was suspended by opening the displacer
        h.size(); // hit
        suspend(); // miss of the displacer
        h.position(); // answered from the saved offset: neither a use nor a miss
        h.write(bytes("x"), 0, 1); // miss
        TrackerStats stats = tracker.stats();
        assertEquals(4, stats.uses());
        assertEquals(3, stats.restores());
        assertEquals(4, stats.suspensions());
        assertEquals(1, stats.open());
        assertEquals(1, stats.suspended());
    }
}
