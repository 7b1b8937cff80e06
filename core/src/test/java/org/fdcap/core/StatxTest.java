package org.fdcap.core;


import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * statx through jffi ({@link Statx}, the source of birth times for jnr-posix and for the agent on
 * JDKs before 22) gives the identity, type, link count and size the JDK's own stat gives, for
 * descriptors and for paths of any length.
 */
class StatxTest {
    private static final SystemCalls JNR = SystemCalls.jnrPosix();

    @TempDir
    Path dir;

    @Test
    void isAvailableOnThisMachine() {
        assertTrue(Statx.available(), "statx could not be called through jffi");
    }

    @Test
    void aDescriptorsStatusIsWhatTheJdkSees() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[4321]);
        Files.createLink(dir.resolve("second-name"), f);
        int fd = JNR.open(f.toString(), OpenFlags.O_RDONLY, 0);
        try {
            Stat mine = Statx.ofDescriptor(fd, f.toString());
            assertEquals(4321, mine.size());
            assertEquals(2, mine.nlink());
            assertEquals(Files.getAttribute(f, "unix:ino"), mine.ino());
            assertEquals(Files.getAttribute(f, "unix:dev"), mine.dev());
            assertEquals(Files.getAttribute(f, "unix:mode"), mine.mode());
            assertTrue(mine.isRegularFile());
            assertEquals(mine, path(f.toString()));
        } finally {
            JNR.close(fd, f.toString());
        }
    }

    @Test
    void aDirectoryIsNotARegularFile() throws IOException {
        Stat d = path(dir.toString());
        assertFalse(d.isRegularFile());
        assertEquals(Files.getAttribute(dir, "unix:mode"), d.mode());
        assertFalse(path("/dev/null").isRegularFile());
    }

    @Test
    void aBadDescriptorIsAnErrorNamingTheFile() {
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Statx.ofDescriptor(Integer.MAX_VALUE, "/some/file"));
        assertEquals("/some/file", e.getFile());
        assertTrue(e.getMessage().contains("statx"), e.getMessage());
    }

    @Test
    void pathsLongAndShortAreReadWhole() throws IOException {
        Path deep = dir;
        while (deep.toString().length() < 3800) {
            deep = Files.createDirectory(deep.resolve("d".repeat(200)));
        }
        Path longOne = Files.write(deep.resolve("f"), new byte[3]);
        Path shortOne = Files.write(dir.resolve("s"), new byte[5]);
        assertEquals(Files.getAttribute(longOne, "unix:ino"), path(longOne.toString()).ino());
        assertEquals(3, path(longOne.toString()).size());
        // The shorter path after the longer one: it ends at its own NUL, not at the longer one's.
        assertEquals(5, path(shortOne.toString()).size());
        assertEquals(Files.getAttribute(shortOne, "unix:ino"), path(shortOne.toString()).ino());
    }

    @Test
    void aPathBeyondPathMaxOrLeadingNowhereIsNull() {
        assertNull(path(dir + "/" + "x".repeat(5000)));
        assertNull(path(dir.resolve("missing").toString()));
        assertNull(path(""));
    }

    @Test
    void aFileThatTookAnotherOnesInodeNumberHasAnotherBirthTime() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        Stat before = path(f.toString());
        for (int i = 0; i < 20; i++) {
            Files.delete(f);
            Files.write(f, new byte[1]);
            Stat after = path(f.toString());
            if (after.ino() == before.ino() && after.birth() != 0) {
                assertNotEquals(before.birth(), after.birth());
                return;
            }
            before = after;
        }
    }

    private static Stat path(String p) {
        return Statx.ofPathOrNull(p.getBytes(StandardCharsets.UTF_8));
    }
}
