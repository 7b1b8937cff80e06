package org.fdcap.agent.cache;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jffi's native stub, kept in the cache directory. On JDK 17-21 the agent calls {@code statx}
 * through jffi (core's {@code Statx}), and jffi left to itself copies its stub library out of the
 * jar at every start, to a new temporary file: a name drawn from {@code SecureRandom} (the security
 * providers loaded, about 25 ms on the thread the start waits for, and {@code /dev/random} and
 * {@code /dev/urandom} then held open for good in the host process), then 137 KB written. Here the
 * stub is written once, to {@code jffi-<crc>/} in the cache directory, compared byte for byte with
 * the jar's copy at every later start, and loaded from there through jffi's own setting
 * {@code jffi.boot.library.path} ({@link #PROPERTY}), which the agent sets for its start only.
 *
 * <p>It fails safe. A stub that cannot be kept or checked here leaves jffi to its own extraction
 * (a debug line says why); a stub jffi cannot load from here (a home mounted {@code noexec}) makes
 * jffi fall back to the same. Native code is loaded from this directory, so it gets the cache
 * directory's checks (this user's, not writable by others, not a symbolic link); the file is
 * written under a temporary name and renamed into place, and read without following symbolic
 * links.
 */
public final class JffiStub {
    /** jffi's setting: the directories it loads its stub from before anything else. */
    public static final String PROPERTY = "jffi.boot.library.path";
    /** The largest stub read (jffi's are 100-160 KB). */
    static final int MAX_SIZE = 4 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(JffiStub.class);

    private JffiStub() {
    }

    /**
     * The directory holding this JVM's jffi stub, kept in {@code cacheDir} (a directory
     * {@link TransformCache#directory} returned); null when there is none to keep (no stub for
     * this platform in the jar) or it cannot be kept.
     *
     * @param jffiLoader the class loader of the agent's jffi, which has the stub as a resource
     */
    public static Path prepare(Path cacheDir, ClassLoader jffiLoader) {
        String resource = resource(System.getProperty("os.arch", ""));
        byte[] stub;
        try (InputStream in = jffiLoader.getResourceAsStream(resource)) {
            if (in == null) {
                LOG.debug("jffi's stub is not kept: no {} in the agent jar", resource);
                return null;
            }
            stub = in.readNBytes(MAX_SIZE + 1);
        } catch (IOException | RuntimeException e) {
            LOG.debug("jffi's stub is not kept: cannot read {}: {}", resource, e.toString());
            return null;
        }
        if (stub.length > MAX_SIZE) {
            LOG.debug("jffi's stub is not kept: {} is larger than {} bytes", resource, MAX_SIZE);
            return null;
        }
        return keep(cacheDir, resource.substring(resource.lastIndexOf('/') + 1), stub);
    }

    /**
     * Where jffi keeps its stub in its jar, as its own loader names it: {@code jni/<cpu>-Linux/}
     * and the library name of {@code jffi-<major>.<minor>}.
     */
    static String resource(String osArch) {
        String cpu;
        switch (osArch) {
            case "amd64":
            case "x86_64":
                cpu = "x86_64";
                break;
            case "x86":
            case "i386":
            case "i86pc":
                cpu = "i386";
                break;
            case "ppc64":
            case "powerpc64":
                cpu = "little".equals(System.getProperty("sun.cpu.endian")) ? "ppc64le" : "ppc64";
                break;
            case "powerpc64le":
                cpu = "ppc64le";
                break;
            default:
                cpu = osArch;
        }
        return "jni/" + cpu + "-Linux/"
                + System.mapLibraryName("jffi-" + com.kenai.jffi.Version.MAJOR + "." + com.kenai.jffi.Version.MINOR);
    }

    /**
     * {@code stub} as {@code fileName} in a subdirectory of {@code cacheDir} named by its CRC-32:
     * the subdirectory when the file there now holds exactly these bytes, else null.
     */
    static Path keep(Path cacheDir, String fileName, byte[] stub) {
        if (cacheDir.toString().indexOf(File.pathSeparatorChar) >= 0) {
            // jffi splits its setting at each ':'
            LOG.debug("jffi's stub is not kept: the cache directory's path {} has a '{}'", cacheDir,
                    File.pathSeparator);
            return null;
        }
        CRC32 crc = new CRC32();
        crc.update(stub, 0, stub.length);
        Path dir = cacheDir.resolve("jffi-" + Long.toHexString(crc.getValue()));
        Path lib = dir.resolve(fileName);
        try {
            String unsafe = CacheFiles.createPrivate(dir);
            if (unsafe != null) {
                LOG.warn("not keeping jffi's stub in {}: it {}", dir, unsafe);
                return null;
            }
            if (holds(lib, stub)) {
                return dir;
            }
            CacheFiles.replace(dir, lib, stub);
            LOG.debug("kept jffi's stub in {}", lib);
            return dir;
        } catch (IOException | RuntimeException e) {
            LOG.debug("jffi's stub is not kept in {}: {}", dir, e.toString());
            return null;
        }
    }

    /** Whether {@code file} is a regular file (not a link) holding exactly {@code content}. */
    static boolean holds(Path file, byte[] content) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        if (!a.isRegularFile() || a.size() != content.length) {
            return false;
        }
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(content.length + 1);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // to the end, or one byte past the expected size
            }
            return buf.position() == content.length && Arrays.equals(buf.array(), 0, content.length, content, 0,
                    content.length);
        }
    }
}
