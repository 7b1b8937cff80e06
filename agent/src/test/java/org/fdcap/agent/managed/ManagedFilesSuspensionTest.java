package org.fdcap.agent.managed;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.core.FsHandle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.fdcap.agent.managed.InProcessAgent.openDescriptors;
import static org.fdcap.agent.managed.InProcessAgent.pattern;
import static org.fdcap.agent.managed.InProcessAgent.readFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Suspension and restore under the program's file objects: every byte read and written lands where
 * it would have without the agent, offsets survive, pins keep a descriptor open, and the process
 * never holds more descriptors than the cap.
 */
class ManagedFilesSuspensionTest {
    @TempDir
    Path dir;

    @Test
    void aSuspendedFileReadsOnFromWhereItStopped() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        byte[] content = pattern(4096, 1);
        Path a = Files.write(dir.resolve("a"), content);

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            byte[] read = new byte[content.length];
            for (int off = 0; off < read.length; off += 256) {
                assertEquals(1, agent.suspendAll());
                assertEquals(off, agent.files.suspendedOffset(raf));
                byte[] chunk = agent.use(raf, () -> readFully(raf, 256));
                System.arraycopy(chunk, 0, read, off, 256);
            }
            assertArrayEquals(content, read);
            assertEquals(16, agent.stats().restores());
        }
    }

    @Test
    void writesAfterASuspensionLandAtTheSavedOffset() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), new byte[1000]);
        byte[] data = pattern(300, 2);

        try (RandomAccessFile raf = agent.raf(a, "rw")) {
            agent.use(raf, () -> {
                raf.seek(500);
                raf.write(data, 0, 100);
                return null;
            });
            agent.suspendAll();
            agent.use(raf, () -> {
                raf.write(data, 100, 200);
                return null;
            });
            assertEquals(800, agent.use(raf, raf::getFilePointer));
        }
        byte[] expected = new byte[1000];
        System.arraycopy(data, 0, expected, 500, 300);
        assertArrayEquals(expected, Files.readAllBytes(a));
    }

    @Test
    void anAppendingStreamStillAppendsAfterItsRestore() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (FileOutputStream out = new FileOutputStream(a.toFile(), true)) {
            agent.files.streamOpened(out.getFD(), a.toString(), true, true, agent.files.opening(a.toString(), false));
            agent.use(out.getFD(), () -> {
                out.write(pattern(5, 2));
                return null;
            });
            agent.suspendAll();
            Files.write(a, pattern(3, 3), StandardOpenOption.APPEND); // another writer, meanwhile
            agent.use(out.getFD(), () -> {
                out.write(pattern(4, 4));
                return null;
            });
        }
        assertArrayEquals(concat(pattern(10, 1), pattern(5, 2), pattern(3, 3), pattern(4, 4)), Files.readAllBytes(a));
    }

    @Test
    void anOutputStreamIsNotTruncatedAgainByItsRestore() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));

        try (FileOutputStream out = new FileOutputStream(a.toFile())) {
            agent.files.streamOpened(out.getFD(), a.toString(), true, false, agent.files.opening(a.toString(), false));
            agent.use(out.getFD(), () -> {
                out.write(pattern(20, 2));
                return null;
            });
            assertEquals(1, agent.suspendAll());
            agent.use(out.getFD(), () -> {
                out.write(pattern(7, 3));
                return null;
            });
        }
        assertArrayEquals(concat(pattern(20, 2), pattern(7, 3)), Files.readAllBytes(a));
    }

    @Test
    void aSeekOnASuspendedFileOnlyMovesItsSavedOffset() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        byte[] content = pattern(1000, 1);
        Path a = Files.write(dir.resolve("a"), content);

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            agent.suspendAll();
            int before = openDescriptors();

            assertSame(FdBridge.SOUGHT, agent.files.enterSeek(raf.getFD(), 700));
            assertEquals(before, openDescriptors(), "not reopened for a seek");
            assertTrue(agent.files.isSuspended(raf.getFD()));
            assertEquals(700, agent.files.suspendedOffset(raf));
            assertEquals(0, agent.stats().restores());

            assertArrayEquals(Arrays.copyOfRange(content, 700, 710), agent.use(raf, () -> readFully(raf, 10)));
            assertEquals(1, agent.stats().restores());
        }
    }

    @Test
    void aSeekOnAnOpenFilePinsItForTheJdksSeek() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(1000, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            Object token = agent.files.enterSeek(raf.getFD(), 300);
            try {
                assertInstanceOf(FsHandle.class, token);
                assertEquals(-1, agent.files.suspendedOffset(raf));
                assertEquals(0, agent.suspendAll(), "pinned during the seek");
                raf.seek(300);
            } finally {
                agent.files.exit(token);
            }
            assertEquals(1, agent.suspendAll());
            assertEquals(300, agent.files.suspendedOffset(raf));
        }
    }

    @Test
    void aPinnedFileIsNeverSuspendedAndIsOnceUnpinned() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            Object token = agent.files.enter(raf.getFD());
            assertEquals(0, agent.suspendAll());
            assertFalse(agent.files.isSuspended(raf.getFD()));
            agent.files.exit(token);
            assertEquals(1, agent.suspendAll());
            assertTrue(agent.files.isSuspended(raf.getFD()));
            assertEquals(-1, InProcessAgent.numberOf(raf.getFD()));
        }
    }

    @Test
    void theCapHoldsWhileManyMoreFilesThanItAreReadInTurn() throws Exception {
        int capacity = 3;
        InProcessAgent agent = InProcessAgent.withCapacity(capacity);
        int base = openDescriptors();
        List<RandomAccessFile> rafs = new ArrayList<>();
        List<ByteArrayBuilder> read = new ArrayList<>();
        // The test's own files, counted in /proc/self/fd after every open and read: the JVM's
        // other threads may open descriptors of their own meanwhile.
        Peak most = new Peak(Map.of(), "never");
        try {
            for (int i = 0; i < 10; i++) {
                rafs.add(agent.raf(Files.write(dir.resolve("f" + i), pattern(800, i)), "r"));
                read.add(new ByteArrayBuilder());
                most = most.orNow(dir, "after opening f" + i);
            }
            for (int round = 0; round < 8; round++) {
                for (int i = 0; i < rafs.size(); i++) {
                    RandomAccessFile raf = rafs.get(i);
                    read.get(i).add(agent.use(raf, () -> readFully(raf, 100)));
                    most = most.orNow(dir, "after reading f" + i + " in round " + round);
                }
            }
        } finally {
            for (RandomAccessFile raf : rafs) {
                agent.close(raf);
            }
        }
        assertTrue(most.open.size() <= capacity, "at most " + capacity + " open, saw " + most.open.size() + " "
                + most.when + ": " + most.open);
        assertEquals(capacity, most.open.size(), "ten files read in turn fill the capacity: " + most.open);
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(pattern(800, i), read.get(i).bytes(), "file " + i);
        }
        assertEquals(Map.of(), InProcessAgent.descriptorsUnder(dir), "every file closed");
        assertEquals(base, openDescriptors());
    }

    /** The most descriptors seen open on a test's files, and when. */
    private record Peak(Map<Integer, String> open, String when) {
        /** This, or what is open under {@code dir} now if that is more. */
        Peak orNow(Path dir, String now) {
            Map<Integer, String> seen = InProcessAgent.descriptorsUnder(dir);
            return seen.size() > open.size() ? new Peak(seen, now) : this;
        }
    }

    @Test
    void theChannelOfASuspendedFileGoesOnAtTheSharedPosition() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        byte[] content = pattern(100, 1);
        Path a = Files.write(dir.resolve("a"), content);

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            FileChannel ch = raf.getChannel();
            agent.use(raf, () -> readFully(raf, 30));
            agent.suspendAll();

            ByteBuffer buf = ByteBuffer.allocate(20);
            agent.use(ch, () -> ch.read(buf));
            assertArrayEquals(Arrays.copyOfRange(content, 30, 50), buf.array());
            assertEquals(50, agent.use(raf, raf::getFilePointer));
        }
    }

    @Test
    void aTransferBetweenTwoSuspendedChannelsRestoresAndPinsBoth() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(3);
        byte[] content = pattern(5000, 1);
        Path a = Files.write(dir.resolve("a"), content);
        Path b = dir.resolve("b");

        try (FileChannel from = agent.channel(a, StandardOpenOption.READ);
                FileChannel to = agent.channel(b, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            assertEquals(2, agent.suspendAll());
            Object token = agent.files.enterWithChannel(JdkAccess.fdOfChannel(from), to);
            try {
                assertInstanceOf(FsHandle[].class, token);
                assertEquals(0, agent.suspendAll(), "both pinned");
                assertEquals(5000, from.transferTo(0, 5000, to));
            } finally {
                agent.files.exit(token);
            }
            assertEquals(2, agent.suspendAll(), "both released");
        }
        assertArrayEquals(content, Files.readAllBytes(b));
    }

    @Test
    void isSuspendedSaysWhatTheDescriptorIsNow() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            assertFalse(agent.files.isSuspended(raf.getFD()));
            agent.suspendAll();
            assertTrue(agent.files.isSuspended(raf.getFD()));
            agent.use(raf, raf::read);
            assertFalse(agent.files.isSuspended(raf.getFD()));
            assertNotEquals(-1, InProcessAgent.numberOf(raf.getFD()));
        }
    }

    @Test
    void onlyTheOsRefusingAnOpenForLackOfDescriptorsSuspendsIdleFiles() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(20);
        List<RandomAccessFile> rafs = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                rafs.add(agent.raf(Files.write(dir.resolve("f" + i), pattern(10, i)), "r"));
            }
            assertFalse(agent.files.outOfDescriptors(new IOException("No space left on device")));
            assertFalse(agent.files.outOfDescriptors(new IOException((String) null)));
            assertEquals(0, agent.stats().suspended());

            assertTrue(agent.files.outOfDescriptors(new IOException("/x/y (Too many open files)")));
            assertEquals(8, agent.stats().suspended(), "a few beyond need: the next open is likely to need room too");
        } finally {
            for (RandomAccessFile raf : rafs) {
                agent.close(raf);
            }
        }
    }

    @Test
    void aFileReplacedBehindTheAgentsBackIsNotReopened() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            agent.suspendAll();
            Files.delete(a);
            Files.write(a, pattern(100, 2)); // another program's file, by the same name

            IOException e = assertThrows(IOException.class, () -> agent.use(raf, raf::read));
            assertTrue(e.getMessage().contains(a.toString()), e.getMessage());
            assertTrue(agent.files.isSuspended(raf.getFD()));
            assertEquals(-1, InProcessAgent.numberOf(raf.getFD()));
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayBuilder b = new ByteArrayBuilder();
        for (byte[] p : parts) {
            b.add(p);
        }
        return b.bytes();
    }

    private static final class ByteArrayBuilder {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        void add(byte[] b) {
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
