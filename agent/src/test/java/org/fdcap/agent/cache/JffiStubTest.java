package org.fdcap.agent.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JffiStubTest {
    private static final byte[] STUB = {0x7f, 'E', 'L', 'F', 1, 2, 3, 4, 5, 6, 7, 8};

    @TempDir
    Path tmp;

    @Test
    void theStubIsWrittenOnceClosedToOthersAndFoundAgain() throws Exception {
        Path dir = JffiStub.keep(tmp, "libjffi-1.2.so", STUB);
        assertNotNull(dir);
        Path lib = dir.resolve("libjffi-1.2.so");
        Object inode = Files.readAttributes(lib, "unix:ino").get("ino");

        Path again = JffiStub.keep(tmp, "libjffi-1.2.so", STUB);

        assertEquals(dir, again);
        assertEquals(tmp, dir.getParent());
        assertArrayEquals(STUB, Files.readAllBytes(lib));
        assertEquals(inode, Files.readAttributes(lib, "unix:ino").get("ino"), "written again");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lib)));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "a temporary file was left behind");
        }
    }

    @Test
    void anotherStubGetsAnotherDirectory() {
        byte[] other = STUB.clone();
        other[5] ^= 1;

        assertNotEquals(JffiStub.keep(tmp, "libjffi-1.2.so", STUB), JffiStub.keep(tmp, "libjffi-1.2.so", other));
    }

    @Test
    void aChangedOrTruncatedFileIsReplacedNotUsed() throws Exception {
        Path lib = JffiStub.keep(tmp, "libjffi-1.2.so", STUB).resolve("libjffi-1.2.so");
        byte[] changed = STUB.clone();
        changed[7] ^= 1;
        Files.write(lib, changed);
        assertNotNull(JffiStub.keep(tmp, "libjffi-1.2.so", STUB));
        assertArrayEquals(STUB, Files.readAllBytes(lib));

        Files.write(lib, new byte[] {0x7f, 'E'});
        assertNotNull(JffiStub.keep(tmp, "libjffi-1.2.so", STUB));
        assertArrayEquals(STUB, Files.readAllBytes(lib));

        byte[] longer = java.util.Arrays.copyOf(STUB, STUB.length + 1);
        Files.write(lib, longer);
        assertNotNull(JffiStub.keep(tmp, "libjffi-1.2.so", STUB));
        assertArrayEquals(STUB, Files.readAllBytes(lib));
    }

    @Test
    void aSymbolicLinkInItsPlaceIsReplacedNeverFollowed() throws Exception {
        Path dir = JffiStub.keep(tmp, "libjffi-1.2.so", STUB);
        Path lib = dir.resolve("libjffi-1.2.so");
        Path elsewhere = tmp.resolve("elsewhere.so");
        Files.write(elsewhere, STUB); // the right bytes, but not in the private directory
        Files.delete(lib);
        Files.createSymbolicLink(lib, elsewhere);

        assertEquals(dir, JffiStub.keep(tmp, "libjffi-1.2.so", STUB));

        assertFalse(Files.isSymbolicLink(lib));
        assertTrue(Files.isRegularFile(lib, LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(STUB, Files.readAllBytes(lib));
        assertArrayEquals(STUB, Files.readAllBytes(elsewhere));
    }

    @Test
    void aSubdirectoryOthersCanWriteIsRefused() throws Exception {
        Path dir = JffiStub.keep(tmp, "libjffi-1.2.so", STUB);
        Files.delete(dir.resolve("libjffi-1.2.so"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertNull(JffiStub.keep(tmp, "libjffi-1.2.so", STUB));
        assertFalse(Files.exists(dir.resolve("libjffi-1.2.so")), "written into a directory others can write");
    }

    @Test
    void aSubdirectoryThatIsASymbolicLinkIsRefused() throws Exception {
        Path dir = JffiStub.keep(tmp, "libjffi-1.2.so", STUB);
        Path real = tmp.resolve("real");
        Files.move(dir, real);
        Files.createSymbolicLink(dir, real);

        assertNull(JffiStub.keep(tmp, "libjffi-1.2.so", STUB));
    }

    @Test
    void aCacheDirectoryWhosePathHasAColonIsNotUsed() throws Exception {
        Path colon = Files.createDirectory(tmp.resolve("a:b"));

        assertNull(JffiStub.keep(colon, "libjffi-1.2.so", STUB));
        try (var files = Files.list(colon)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aCacheDirectoryThatCannotTakeItMeansNoStub() throws Exception {
        Path file = Files.write(tmp.resolve("a-file"), new byte[] {1});

        assertNull(JffiStub.keep(file, "libjffi-1.2.so", STUB));
    }

    @Test
    void theResourceIsNamedAsJffiNamesIt() {
        assertEquals("jni/x86_64-Linux/libjffi-1.2.so", JffiStub.resource("amd64"));
        assertEquals("jni/aarch64-Linux/libjffi-1.2.so", JffiStub.resource("aarch64"));
        assertEquals("jni/i386-Linux/libjffi-1.2.so", JffiStub.resource("x86"));
    }

    @Test
    void theStubOfThisPlatformIsKeptFromTheClassPathByteForByte() throws Exception {
        ClassLoader loader = getClass().getClassLoader();
        byte[] expected;
        try (InputStream in = loader.getResourceAsStream(JffiStub.resource(System.getProperty("os.arch")))) {
            assertNotNull(in, "jffi's native jar is not on the test class path");
            expected = in.readAllBytes();
        }

        Path dir = JffiStub.prepare(tmp, loader);

        assertNotNull(dir);
        try (var files = Files.list(dir)) {
            Path lib = files.findFirst().orElseThrow();
            assertEquals(System.mapLibraryName("jffi-1.2"), lib.getFileName().toString());
            assertArrayEquals(expected, Files.readAllBytes(lib));
        }
    }

    @Test
    void aLoaderWithoutTheStubMeansNoStub() {
        assertNull(JffiStub.prepare(tmp, new ClassLoader(null) {
        }));
    }
}
