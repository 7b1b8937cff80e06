package org.fdcap.agent.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.zip.CRC32C;
import org.fdcap.agent.instrumentation.JdkTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformCacheTest {
    @TempDir
    Path tmp;

    private static Map<String, JdkTypes.Cached> sample() {
        return Map.of("java/io/FileDescriptor", new JdkTypes.Cached(JdkTypes.fingerprint(new byte[] {7}),
                new byte[] {1, 2, 3}));
    }

    private File jar() throws IOException {
        Path jar = tmp.resolve("agent.jar");
        if (!Files.exists(jar)) {
            Files.write(jar, new byte[] {0});
        }
        return jar.toFile();
    }

    @Test
    void whatIsWrittenIsReadBackUnderTheSameKey() throws Exception {
        TransformCache cache = TransformCache.open(tmp.resolve("c"), jar());
        assertNotNull(cache);
        assertNull(cache.read());
        cache.write(sample());

        Map<String, JdkTypes.Cached> back = TransformCache.open(tmp.resolve("c"), jar()).read();

        assertEquals(1, back.size());
        assertArrayEquals(new byte[] {1, 2, 3}, back.get("java/io/FileDescriptor").bytes());
        assertArrayEquals(sample().get("java/io/FileDescriptor").originalFingerprint(),
                back.get("java/io/FileDescriptor").originalFingerprint());
    }

    @Test
    void theDirectoryIsCreatedClosedToOthers() throws Exception {
        TransformCache.open(tmp.resolve("a/b"), jar());

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("a/b"))));
    }

    @Test
    void anyDamagedByteMakesTheFileUnreadable() throws Exception {
        byte[] good = TransformCache.format(sample(), "k");
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            assertThrows(IOException.class, () -> TransformCache.parse(bad, "k"));
        }
        assertThrows(IOException.class, () -> TransformCache.parse(java.util.Arrays.copyOf(good, good.length - 1), "k"));
        assertEquals(1, TransformCache.parse(good, "k").size());
    }

    @Test
    void aFileOfAnotherKeyIsNotUsed() throws Exception {
        byte[] other = TransformCache.format(sample(), "another JDK");

        IOException e = assertThrows(IOException.class, () -> TransformCache.parse(other, "this JDK"));
        assertTrue(e.getMessage().contains("another JDK or agent jar"), e.getMessage());
    }

    @Test
    void aFileOfTheEarlierFormatIsNotRead() throws Exception {
        byte[] current = TransformCache.format(sample(), "k");
        byte[] earlier = current.clone();
        earlier[7] = 1; // the format number, after the magic
        CRC32C crc = new CRC32C();
        crc.update(earlier, 0, earlier.length - 4);
        ByteBuffer.wrap(earlier, earlier.length - 4, 4).putInt((int) crc.getValue());

        IOException e = assertThrows(IOException.class, () -> TransformCache.parse(earlier, "k"));
        assertTrue(e.getMessage().contains("not a cache file of this format"), e.getMessage());
    }

    @Test
    void theFormatIsPartOfTheKeySoAnEarlierFormatsFileHasAnotherName() throws Exception {
        String key = TransformCache.key(jar());
        String earlier = key.replaceFirst("^fdcap transform cache \\d+", "fdcap transform cache 1");

        assertTrue(key.startsWith("fdcap transform cache 2\n"), key);
        assertNotEquals(TransformCache.fileName(key), TransformCache.fileName(earlier));
        assertTrue(TransformCache.fileName(key).matches("[0-9a-f]{16}\\.bin"), TransformCache.fileName(key));
    }

    @Test
    void onlyFingerprintsAreStored() {
        Map<String, JdkTypes.Cached> digest = Map.of("java/io/FileDescriptor",
                new JdkTypes.Cached(new byte[32], new byte[] {1, 2, 3}));

        assertThrows(IllegalArgumentException.class, () -> TransformCache.format(digest, "k"));
    }

    @Test
    void aChangedAgentJarChangesTheKey() throws Exception {
        String before = TransformCache.key(jar());
        Files.write(jar().toPath(), new byte[] {0, 1});

        assertTrue(!before.equals(TransformCache.key(jar())));
    }

    @Test
    void unsafeDirectoriesAreRefused() throws Exception {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), tmp);

        assertNull(TransformCache.open(open, jar()));
        assertNull(TransformCache.open(link, jar()));
        assertTrue(TransformCache.unsafe(open).contains("writable by other users"));
        assertTrue(TransformCache.unsafe(link).contains("symbolic link"));
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsNoCache() throws Exception {
        Path file = Files.write(tmp.resolve("f"), new byte[] {1});

        assertNull(TransformCache.open(file.resolve("cache"), jar()));
    }
}
