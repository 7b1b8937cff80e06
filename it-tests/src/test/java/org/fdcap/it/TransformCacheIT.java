package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.fdcap.examples.ManyFilesDemo;
import org.fdcap.it.scenarios.NativeLibraries;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The cache of the instrumented JDK types ({@code fdcap.cache.dir}): a second start uses what the
 * first stored and behaves the same; a damaged file or an unsafe directory is refused in one line,
 * and the agent still works.
 */
class TransformCacheIT {
    private static final String WOVEN = "JDK types woven by Byte Buddy";
    private static final String FROM_CACHE = "JDK types from the cache";

    @Test
    void theSecondStartUsesTheCacheTheFirstStoredAndBehavesTheSame() throws Exception {
        Path dir = fresh("second-start");
        ChildJvm.Result first = run(dir, "-Dfdcap.log.level=debug");
        ChildJvm.Result second = run(dir, "-Dfdcap.log.level=debug");

        assertTrue(first.err.contains(WOVEN + " (nothing cached yet)"), first::toString);
        assertTrue(first.err.contains("stored the instrumented JDK types"), first::toString);
        assertTrue(second.err.contains(FROM_CACHE), second::toString);
        assertFalse(second.err.contains(WOVEN), second::toString);
        assertEquals(0, first.exit, first::toString);
        assertEquals(0, second.exit, second::toString);
        assertEquals(first.out, second.out);
        assertTrue(second.stat(4) > 0, "the agent suspended nothing: " + second);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void theJdkClassesWhoseCallSitesWereRewrittenComeFromTheCacheToo() throws Exception {
        // ZipFile$Source, loaded before the agent, calls RandomAccessFile.length(): native on JDK 17
        Assumptions.assumeTrue(java.lang.reflect.Modifier.isNative(
                java.io.RandomAccessFile.class.getMethod("length").getModifiers()),
                "no JDK class loaded before the agent is rewritten on this JDK");
        Path dir = fresh("call-sites");
        ChildJvm.Result first = run(dir, "-Dfdcap.log.level=debug", "-Dfdcap.debug.transform=true");
        ChildJvm.Result second = run(dir, "-Dfdcap.log.level=debug", "-Dfdcap.debug.transform=true");

        assertTrue(first.err.contains("transformed java.util.zip.ZipFile$Source (call sites)"), first::toString);
        assertTrue(second.err.contains("transformed java.util.zip.ZipFile$Source (call sites, from the cache)"),
                second::toString);
        assertFalse(second.err.contains("stored the instrumented JDK types"), "stored again: " + second);
        assertEquals(0, second.exit, second::toString);
        assertEquals(first.out, second.out);
        assertTrue(second.stat(4) > 0, "the agent suspended nothing: " + second);
    }

    @Test
    void onJdk17to21JffisStubIsLoadedFromTheCacheNotExtractedAnew() throws Exception {
        Path dir = fresh("jffi-stub");
        ChildJvm.Result first = ChildJvm.of(NativeLibraries.class).withAgent()
                .jvmArg("-Dfdcap.cache.dir=" + dir).jvmArg("-Dfdcap.log.level=debug").run();
        ChildJvm.Result second = ChildJvm.of(NativeLibraries.class).withAgent()
                .jvmArg("-Dfdcap.cache.dir=" + dir).jvmArg("-Dfdcap.log.level=debug").run();
        ChildJvm.Result off = ChildJvm.of(NativeLibraries.class).withAgent().jvmArg("-Dfdcap.cache=false").run();

        for (ChildJvm.Result r : List.of(first, second, off)) {
            assertEquals(0, r.exit, r::toString);
            assertTrue(r.err.contains("fdcap") && !r.err.contains("WARN") && !r.err.contains("ERROR"), r::toString);
            assertTrue(r.out.contains("property null"), "the setting leaked to the program: " + r);
        }
        if (Runtime.version().feature() >= 22) {
            // the JDK gives the birth time: no jffi at all
            assertTrue(second.out.contains("jffi none"), second::toString);
            assertTrue(off.out.contains("jffi none"), off::toString);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("jffi"))
                        .collect(Collectors.toList()));
            }
            return;
        }
        Path stub;
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> dirs = s.filter(p -> p.getFileName().toString().startsWith("jffi-")).collect(Collectors.toList());
            assertEquals(1, dirs.size(), () -> "jffi's stub directories in " + dir + ": " + dirs + "; " + first);
            stub = onlyFile(dirs.get(0));
        }
        assertTrue(first.err.contains("kept jffi's stub in " + stub), first::toString);
        assertFalse(second.err.contains("kept jffi's stub"), "written again: " + second);
        for (ChildJvm.Result r : List.of(first, second)) {
            assertTrue(r.out.lines().anyMatch(l -> l.equals("jffi " + stub)), "not loaded from the cache: " + r);
            assertTrue(r.out.contains("random 0"), "SecureRandom's descriptors are open: " + r);
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stub.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stub)));
        // without the cache, jffi extracts its own temporary copy, as it always did
        assertTrue(off.out.contains("jffi /") && !off.out.contains("jffi " + dir), off::toString);
    }

    @Test
    void firstStartsAtTheSameTimeAllWorkAndLeaveOneCopyOfEachFile() throws Exception {
        Path dir = fresh("together");
        List<ChildJvm.Running> children = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            children.add(ChildJvm.of(NativeLibraries.class).withAgent().jvmArg("-Dfdcap.cache.dir=" + dir).start());
        }
        List<ChildJvm.Result> results = new java.util.ArrayList<>();
        for (ChildJvm.Running c : children) {
            results.add(c.finish());
        }

        for (ChildJvm.Result r : results) {
            assertEquals(0, r.exit, r::toString);
            assertFalse(r.err.contains("WARN") || r.err.contains("ERROR"), r::toString);
        }
        List<String> left;
        try (Stream<Path> s = Files.walk(dir)) {
            left = s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted()
                    .collect(Collectors.toList());
        }
        assertEquals(1, left.stream().filter(n -> n.endsWith(".bin")).count(), left::toString);
        assertEquals(Runtime.version().feature() >= 22 ? 0 : 1, left.stream().filter(n -> n.startsWith("jffi-")).count(),
                left::toString);
        assertTrue(left.stream().allMatch(n -> n.endsWith(".bin") || n.startsWith("jffi-")), "left behind: " + left);
        // a later start finds what they left
        ChildJvm.Result after = ChildJvm.of(NativeLibraries.class).withAgent().jvmArg("-Dfdcap.cache.dir=" + dir)
                .jvmArg("-Dfdcap.log.level=debug").run();
        assertTrue(after.err.contains(FROM_CACHE), after::toString);
        assertFalse(after.err.contains("kept jffi's stub"), "written again: " + after);
    }

    @Test
    void withTheCacheOffNothingIsStored() throws Exception {
        Path dir = fresh("off");
        ChildJvm.Result r = run(dir, "-Dfdcap.cache=false", "-Dfdcap.log.level=debug");

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.err.contains(WOVEN + " (no cache)"), r::toString);
        assertFalse(Files.exists(dir));
    }

    @Test
    void aDamagedCacheFileIsRefusedInOneLineThenReplaced() throws Exception {
        Path dir = fresh("damaged");
        ChildJvm.Result plain = run(dir);
        Path file = onlyCacheFile(dir);
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 1;
        Files.write(file, b);

        ChildJvm.Result damaged = run(dir);
        ChildJvm.Result after = run(dir, "-Dfdcap.log.level=debug");

        assertEquals(List.of(), cacheLines(plain));
        List<String> lines = cacheLines(damaged);
        assertEquals(1, lines.size(), damaged::toString);
        assertTrue(lines.get(0).contains("ignoring the cache file") && lines.get(0).contains("corrupt"), lines::toString);
        assertEquals(plain.out, damaged.out);
        assertTrue(damaged.stat(4) > 0, damaged::toString);
        assertTrue(after.err.contains(FROM_CACHE), "the damaged file was not replaced: " + after);
    }

    @Test
    void aCacheFileForOtherClassBytesIsNotUsed() throws Exception {
        Path dir = fresh("other-bytes");
        run(dir);
        Path file = onlyCacheFile(dir);
        // A well-formed file of this key whose recorded fingerprints are not this JVM's: as if the
        // JDK's classes had changed under the same version.
        byte[] b = Files.readAllBytes(file);
        b[fingerprintOffset(b, "java/io/FileDescriptor") + 7] ^= 1; // the CRC, after the length
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b, b.length - 4, 4).putInt((int) crc.getValue());
        Files.write(file, b);

        ChildJvm.Result r = run(dir, "-Dfdcap.log.level=debug");
        ChildJvm.Result after = run(dir, "-Dfdcap.log.level=debug");

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.err.contains(WOVEN + " (the cache did not match this JVM's classes)"), r::toString);
        assertTrue(r.stat(4) > 0, r::toString);
        assertTrue(after.err.contains(FROM_CACHE), after::toString);
    }

    @Test
    void aSymlinkedCacheDirectoryIsRefusedInOneLine() throws Exception {
        Path real = fresh("real");
        Files.createDirectories(real);
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwx------"));
        Path link = fresh("link");
        Files.createSymbolicLink(link, real);

        ChildJvm.Result r = run(link);

        assertRefused(r, "symbolic link");
        try (Stream<Path> s = Files.list(real)) {
            assertEquals(0, s.count(), "wrote through the link");
        }
    }

    @Test
    void aCacheDirectoryWritableByOthersIsRefusedInOneLine() throws Exception {
        Path dir = fresh("world-writable");
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        ChildJvm.Result r = run(dir);

        assertRefused(r, "writable by other users");
    }

    @Test
    void aCacheDirectoryThatCannotBeCreatedIsSilentlyNoCache() throws Exception {
        Path file = fresh("a-file");
        Files.write(file, new byte[] {1});

        ChildJvm.Result r = run(file.resolve("cache"));

        assertEquals(0, r.exit, r::toString);
        assertEquals(List.of(), cacheLines(r));
        assertTrue(r.stat(4) > 0, r::toString);
    }

    private static void assertRefused(ChildJvm.Result r, String why) {
        assertEquals(0, r.exit, r::toString);
        List<String> lines = cacheLines(r);
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).contains("not using the cache directory") && lines.get(0).contains(why),
                lines::toString);
        assertTrue(r.stat(4) > 0, "the agent did not work: " + r);
    }

    private static ChildJvm.Result run(Path cacheDir, String... jvmArgs) throws Exception {
        ChildJvm c = ChildJvm.of(ManyFilesDemo.class, "200").limit(128).withAgent()
                .jvmArg("-Dfdcap.cache.dir=" + cacheDir);
        for (String a : jvmArgs) {
            c.jvmArg(a);
        }
        return c.run();
    }

    /**
     * Where the recorded fingerprint of {@code type}'s original bytes (their length, 4 bytes, then
     * their CRC-32C, 4 bytes) is in a cache file (magic, format, key, count, then per type: name,
     * fingerprint, length, bytes; then the file's CRC-32C).
     */
    private static int fingerprintOffset(byte[] file, String type) throws Exception {
        java.io.ByteArrayInputStream bytes = new java.io.ByteArrayInputStream(file);
        java.io.DataInputStream in = new java.io.DataInputStream(bytes);
        in.readInt();
        in.readInt();
        in.readUTF();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            int at = file.length - bytes.available();
            if (name.equals(type)) {
                return at;
            }
            in.skipBytes(8);
            in.skipBytes(in.readInt());
        }
        throw new AssertionError(type + " is not in the cache file");
    }

    private static List<String> cacheLines(ChildJvm.Result r) {
        return r.errWithoutStats().lines().filter(l -> l.contains("cache")).collect(Collectors.toList());
    }

    /** The one file of instrumented JDK types in {@code dir} (beside it on JDK 17-21: jffi's stub). */
    private static Path onlyCacheFile(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".bin")).collect(Collectors.toList());
            assertEquals(1, files.size(), files::toString);
            return files.get(0);
        }
    }

    private static Path onlyFile(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.collect(Collectors.toList());
            assertEquals(1, files.size(), files::toString);
            return files.get(0);
        }
    }

    private static Path fresh(String name) throws Exception {
        Path p = ChildJvm.WORK.resolve("cache-it").resolve(name + "-" + System.nanoTime());
        Files.createDirectories(p.getParent());
        return p;
    }
}
