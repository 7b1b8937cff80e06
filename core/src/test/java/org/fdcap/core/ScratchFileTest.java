package org.fdcap.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.PrimitiveIterator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchFileTest {
    @TempDir
    Path tmp;

    @Test
    void aScratchFileIsNewEmptyAndPrivate() throws Exception {
        Path f = ScratchFile.create(tmp, "x-", ".bin");

        assertEquals(tmp, f.getParent());
        assertTrue(f.getFileName().toString().matches("x-[0-9a-f]+\\.bin"), f::toString);
        assertEquals(0, Files.size(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void aScratchDirectoryIsNewAndPrivate() throws Exception {
        Path d = ScratchFile.createDirectory(tmp, "d-");

        assertTrue(Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
    }

    @Test
    void twoScratchFilesHaveTwoNames() throws Exception {
        assertNotEquals(ScratchFile.create(tmp, "x-", ""), ScratchFile.create(tmp, "x-", ""));
    }

    @Test
    void aTakenNameIsNeverOpenedNorFollowedTheNextNameIsTried() throws Exception {
        Path target = Files.write(tmp.resolve("target"), new byte[] {1, 2, 3});
        Path taken = tmp.resolve("x-" + Long.toHexString(7));
        Files.createSymbolicLink(taken, target);

        Path f = ScratchFile.create(tmp, "x-", "", sequence(7, 8));

        assertEquals(tmp.resolve("x-" + Long.toHexString(8)), f);
        assertTrue(Files.isSymbolicLink(taken));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
    }

    @Test
    void aTakenDirectoryNameIsNotReused() throws Exception {
        Path taken = Files.createDirectory(tmp.resolve("d-" + Long.toHexString(7)));
        Files.write(taken.resolve("inside"), new byte[] {1});

        Path d = ScratchFile.createDirectory(tmp, "d-", sequence(7, 9));

        assertEquals(tmp.resolve("d-" + Long.toHexString(9)), d);
        assertTrue(Files.exists(taken.resolve("inside")));
    }

    @Test
    void whenEveryNameIsTakenTheCreationFails() throws Exception {
        Files.createFile(tmp.resolve("x-" + Long.toHexString(7)));
        PrimitiveIterator.OfLong always7 = LongStream.generate(() -> 7).iterator();

        assertThrows(FileAlreadyExistsException.class, () -> ScratchFile.create(tmp, "x-", "", always7::nextLong));
        assertThrows(FileAlreadyExistsException.class,
                () -> ScratchFile.createDirectory(tmp, "x-", always7::nextLong));
    }

    private static java.util.function.LongSupplier sequence(long... values) {
        PrimitiveIterator.OfLong it = LongStream.of(values).iterator();
        return it::nextLong;
    }
}
