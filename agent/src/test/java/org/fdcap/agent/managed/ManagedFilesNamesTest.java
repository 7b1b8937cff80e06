package org.fdcap.agent.managed;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.fdcap.agent.managed.InProcessAgent.openDescriptors;
import static org.fdcap.agent.managed.InProcessAgent.pattern;
import static org.fdcap.agent.managed.InProcessAgent.readFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names that change under managed files: the program's renames and deletes, announced to the
 * tracker before they happen (as the instrumented file systems do), keep every descriptor on its
 * data, suspended or not, exactly as a descriptor that was never closed.
 */
class ManagedFilesNamesTest {
    @TempDir
    Path dir;

    /** {@code Files.move(from, to, options)} as the instrumented file system provider does it. */
    private static void move(InProcessAgent agent, Path from, Path to, StandardCopyOption... options)
            throws IOException {
        Object token = agent.files.beforeRename(from.toString(), to.toString());
        try {
            Files.move(from, to, options);
        } finally {
            if (token != null) {
                agent.files.nameChanged(token);
            }
        }
    }

    /** {@code Files.delete(path)} as the instrumented file system provider does it. */
    private static void delete(InProcessAgent agent, Path path) throws IOException {
        Object token = agent.files.beforeRemove(path.toString());
        try {
            Files.delete(path);
        } finally {
            if (token != null) {
                agent.files.nameChanged(token);
            }
        }
    }

    @Test
    void aFileRenamedWhileSuspendedIsReopenedByItsNewName() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        byte[] content = pattern(200, 1);
        Path a = Files.write(dir.resolve("a"), content);
        Path b = dir.resolve("b");

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            agent.use(raf, () -> readFully(raf, 50));
            agent.suspendAll();
            move(agent, a, b);

            assertArrayEquals(java.util.Arrays.copyOfRange(content, 50, 200), agent.use(raf, () -> readFully(raf, 150)));
            assertEquals(b.toString(), agent.handleOf(raf.getFD()).location());
        }
    }

    @Test
    void aFileRenamedBeforeItsSuspensionIsFollowedWithoutBeingAnnounced() throws Exception {
        // At suspension the descriptor's current path is read from /proc/self/fd.
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        byte[] content = pattern(200, 1);
        Path a = Files.write(dir.resolve("a"), content);
        Path b = dir.resolve("b");

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            Files.move(a, b);
            agent.suspendAll();

            assertArrayEquals(content, agent.use(raf, () -> readFully(raf, 200)));
        }
    }

    @Test
    void aDirectoryRenamedWhileItsFilesAreSuspendedTakesThemAlong() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path from = Files.createDirectory(dir.resolve("from"));
        Path to = dir.resolve("to");
        Path a = Files.write(from.resolve("a"), pattern(100, 1));
        Path b = Files.write(from.resolve("b"), pattern(100, 2));

        try (RandomAccessFile ra = agent.raf(a, "r"); RandomAccessFile rb = agent.raf(b, "r")) {
            assertEquals(2, agent.suspendAll());
            move(agent, from, to);

            assertArrayEquals(pattern(100, 1), agent.use(ra, () -> readFully(ra, 100)));
            assertArrayEquals(pattern(100, 2), agent.use(rb, () -> readFully(rb, 100)));
            assertEquals(to.resolve("a").toString(), agent.handleOf(ra.getFD()).location());
        }
    }

    @Test
    void aRenameThatFailsLeavesTheFileReopenedByItsOldName() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path nowhere = dir.resolve("missing-directory").resolve("b");

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            agent.suspendAll();
            assertThrows(IOException.class, () -> move(agent, a, nowhere));

            assertArrayEquals(pattern(100, 1), agent.use(raf, () -> readFully(raf, 100)));
            assertEquals(a.toString(), agent.handleOf(raf.getFD()).location());
        }
    }

    @Test
    void aFileDeletedWhileSuspendedIsReopenedThroughItsAnchor() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        byte[] content = pattern(300, 1);
        Path a = Files.write(dir.resolve("a"), content);
        int base = openDescriptors();

        try (RandomAccessFile raf = agent.raf(a, "r")) {
            agent.use(raf, () -> readFully(raf, 100));
            agent.suspendAll();
            delete(agent, a);

            assertFalse(Files.exists(a));
            assertEquals(1, agent.stats().anchors());
            assertEquals(base + 1, openDescriptors(), "the anchor only");
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 100, 300), agent.use(raf, () -> readFully(raf, 200)));
            agent.suspendAll();
            agent.use(raf, () -> {
                raf.seek(0);
                return null;
            });
            assertArrayEquals(content, agent.use(raf, () -> readFully(raf, 300)));
        }
    }

    @Test
    void theAnchorOfADeletedFileIsClosedWithItsLastDescriptor() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(300, 1));
        int base = openDescriptors();

        RandomAccessFile first = agent.raf(a, "r");
        RandomAccessFile second = agent.raf(a, "r");
        agent.suspendAll();
        delete(agent, a);
        assertEquals(1, agent.stats().anchors());

        agent.close(first);
        assertEquals(1, agent.stats().anchors(), "still kept for the second");
        assertArrayEquals(pattern(300, 1), agent.use(second, () -> readFully(second, 300)));
        agent.close(second);

        assertEquals(0, agent.stats().anchors());
        assertEquals(0, agent.stats().open());
        assertEquals(base, openDescriptors());
        assertTrue(agent.tracker.destroy().isEmpty());
    }

    @Test
    void aFileDeletedWhileOpenKeepsItsDataForItsDescriptors() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), new byte[100]);

        try (RandomAccessFile writer = agent.raf(a, "rw"); RandomAccessFile reader = agent.raf(a, "r")) {
            delete(agent, a);
            agent.use(writer, () -> {
                writer.write(pattern(100, 2));
                return null;
            });
            agent.suspendAll();

            assertArrayEquals(pattern(100, 2), agent.use(reader, () -> readFully(reader, 100)));
        }
    }

    @Test
    void aFileReplacedByARenameKeepsItsOldDataForItsDescriptors() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path b = Files.write(dir.resolve("b"), pattern(100, 2));

        try (RandomAccessFile rb = agent.raf(b, "r")) {
            agent.suspendAll();
            move(agent, a, b, StandardCopyOption.REPLACE_EXISTING);

            assertArrayEquals(pattern(100, 2), agent.use(rb, () -> readFully(rb, 100)), "the replaced file's data");
            assertArrayEquals(pattern(100, 1), Files.readAllBytes(b));
        }
    }

    @Test
    void aDeleteThatNeedsRoomWhenNoneCanBeMadeIsRefusedAndTheFileStays() throws Exception {
        InProcessAgent agent = InProcessAgent.create(2, List.of(), false, true);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path b = Files.write(dir.resolve("b"), pattern(100, 2));
        Path c = Files.write(dir.resolve("c"), pattern(100, 3));

        try (RandomAccessFile ra = agent.raf(a, "r"); RandomAccessFile rb = agent.raf(b, "r")) {
            agent.suspendAll(); // a and b suspended
            RandomAccessFile rc = agent.raf(c, "r");
            agent.files.escaped(rc.getFD());
            RandomAccessFile rb2 = agent.raf(b, "r");
            agent.files.escaped(rb2.getFD()); // both slots held for good now

            FileSystemException e = assertThrows(FileSystemException.class, () -> delete(agent, a));
            assertTrue(e.getReason().contains("Too many open files"), e.getReason());
            assertTrue(Files.exists(a));
            agent.close(rc); // room again: a is reopened by its name
            assertArrayEquals(pattern(100, 1), agent.use(ra, () -> readFully(ra, 100)));
            agent.close(rb2);
        }
    }

    @Test
    void aCopyTakesRoomForItsTwoDescriptorsAndGivesItBack() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(3);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path b = Files.write(dir.resolve("b"), pattern(100, 2));
        Path copy = dir.resolve("copy");

        try (RandomAccessFile ra = agent.raf(a, "r"); RandomAccessFile rb = agent.raf(b, "r")) {
            Object token = agent.files.beforeCopy(copy.toString());
            assertNotNull(token);
            assertEquals(0, agent.tracker.room());
            assertEquals(1, agent.stats().suspended(), "one file suspended for the copy's two descriptors");
            Files.copy(a, copy);
            agent.files.copied(token);
            assertEquals(2, agent.tracker.room());
        }
        assertArrayEquals(pattern(100, 1), Files.readAllBytes(copy));
    }

    @Test
    void aCopyOverASuspendedFileKeepsItsOldDataForItsDescriptors() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path b = Files.write(dir.resolve("b"), pattern(100, 2));

        try (RandomAccessFile rb = agent.raf(b, "r")) {
            agent.suspendAll();
            Object token = agent.files.beforeCopy(b.toString());
            try {
                Files.copy(a, b, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                agent.files.copied(token);
            }
            assertArrayEquals(pattern(100, 2), agent.use(rb, () -> readFully(rb, 100)));
            assertEquals(4 - 1 - 1, agent.tracker.room(), "the file's descriptor and its anchor");
        }
    }

    @Test
    void namesAreNotAnnouncedToTheTrackerWhileNothingIsManaged() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));

        assertNull(agent.files.beforeRemove(a.toString()));
        assertNull(agent.files.beforeRename(a.toString(), dir.resolve("b").toString()));
        try (RandomAccessFile raf = agent.raf(a, "r")) {
            Object token = agent.files.beforeRemove(dir.resolve("unrelated").toString());
            assertNotNull(token, "announced once a file is managed");
            agent.files.nameChanged(token);
        }
    }
}
