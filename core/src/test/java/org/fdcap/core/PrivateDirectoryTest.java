package org.fdcap.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one check of a directory fdcap keeps files in, as the unlinked-file pool (nothing for
 * others: 077) and the agent's transform cache (nothing writable by others: 022) use it.
 */
class PrivateDirectoryTest {
    @TempDir
    Path tmp;

    private Path dir(String name, String mode) throws IOException {
        Path d = Files.createDirectory(tmp.resolve(name));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(mode));
        return d;
    }

    @Test
    void anOwnerOnlyDirectoryPassesBothChecks() throws IOException {
        Path d = dir("d", "rwx------");
        assertNull(PrivateDirectory.problem(d, 077));
        assertNull(PrivateDirectory.problem(d, 022));
    }

    @Test
    void readableByOthersIsRefusedForThePoolButNotForTheCache() throws IOException {
        Path d = dir("d", "rwxr-xr-x");
        assertEquals("is open to other users (mode 755)", PrivateDirectory.problem(d, 077));
        assertNull(PrivateDirectory.problem(d, 022));
    }

    @Test
    void writableByTheGroupIsRefusedForBoth() throws IOException {
        Path d = dir("d", "rwxrwx---");
        assertEquals("is open to other users (mode 770)", PrivateDirectory.problem(d, 077));
        assertEquals("is writable by other users (mode 770)", PrivateDirectory.problem(d, 022));
    }

    @Test
    void aSymbolicLinkIsNeverFollowedEvenToAGoodDirectory() throws IOException {
        Path target = dir("target", "rwx------");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        assertEquals("is a symbolic link (never followed)", PrivateDirectory.problem(link, 077));
    }

    @Test
    void aFileIsNotADirectory() throws IOException {
        Path f = Files.createFile(tmp.resolve("f"));
        assertEquals("exists and is not a directory", PrivateDirectory.problem(f, 077));
    }

    @Test
    void thePoolRefusesAnUnsafeDirectoryWithItsNameInTheMessage() throws IOException {
        Path d = dir("pool", "rwxr-x---");
        IOException e = assertThrows(IOException.class, () -> UnlinkedFilePool.checkSafe(d));
        assertTrue(e.getMessage().equals("the unlinked-file pool " + d + " is open to other users (mode 750)"),
                e.getMessage());
    }
}
