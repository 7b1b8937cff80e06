package org.fdcap.agent.cache;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.fdcap.agent.instrumentation.JdkTypes;
import org.fdcap.core.PrivateDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache of the instrumented JDK types: what Byte Buddy made of them in an earlier start, so
 * that a later start retransforms them without loading Byte Buddy ({@link JdkTypes}).
 *
 * <p>One file per key, {@code <hex>.bin} in the cache directory. The key names everything the
 * woven code depends on: the JDK ({@code java.home}, {@code java.runtime.version},
 * {@code java.vm.vendor}, {@code java.vm.version}) and the agent jar (path, size, modification
 * time, version). The settings do not enter it: the advice reads them at run time. Within a file
 * each class's bytes come with the fingerprint (length and CRC-32C) of the JDK's bytes they were
 * made from, checked by {@link JdkTypes} before use; the file ends with the CRC-32C of its content
 * (a corrupt file is ignored, with a warning, and replaced). CRCs, not SHA-256: they catch damage
 * as well, and {@code MessageDigest} loads the security providers (about 40 ms of a start); a
 * forged file needs write access to the directory, which only this user has (below).
 *
 * <p>The directory is a place from which code gets into {@code java.base}, so it is used only if
 * it belongs to this user, is not writable by group or others, and is not a symbolic link (one
 * warning, then the start goes on without the cache). It is created with mode 700; files are
 * written to a temporary file and renamed, read without following symbolic links, and at most
 * {@link #MAX_FILE} bytes. A directory that cannot be created or written (read-only home) means
 * no cache, silently (a debug line).
 */
public final class TransformCache {
    /** The largest cache file read (the 8 types take about 200 KB). */
    static final int MAX_FILE = 8 << 20;
    /** Files of other keys (other JDKs, other agent builds) kept in the directory. */
    static final int KEEP = 16;
    private static final int MAGIC = 0x66646361; // "fdca"
    /** 2: CRC-32C checksums (1 had SHA-256 digests; its files have other names and are never read). */
    private static final int FORMAT = 2;
    private static final int CHECKSUM = 4;
    private static final int FINGERPRINT = JdkTypes.FINGERPRINT;

    private static final Logger LOG = LoggerFactory.getLogger(TransformCache.class);

    private final Path dir;
    private final String key;
    private final Path file;

    private TransformCache(Path dir, String key) {
        this.dir = dir;
        this.key = key;
        this.file = dir.resolve(fileName(key));
    }

    /**
     * The cache for this JVM and agent jar, or null when its directory is refused (logged once)
     * or unusable (debug).
     *
     * @param dir the directory ({@code fdcap.cache.dir}), or null for the default
     */
    public static TransformCache open(Path dir, File agentJar) {
        Path d = directory(dir);
        return d == null ? null : in(d, agentJar);
    }

    /**
     * The cache for this JVM and agent jar in {@code dir}, a directory {@link #directory} returned;
     * null (a debug line) when the agent jar cannot be read.
     */
    public static TransformCache in(Path dir, File agentJar) {
        try {
            return new TransformCache(dir, key(agentJar));
        } catch (IOException | RuntimeException e) {
            LOG.debug("no cache of the instrumented JDK types in {}: {}", dir, e.toString());
            return null;
        }
    }

    /**
     * The cache directory, created if absent (mode 700), as an absolute path; null when it is
     * refused (one warning: not this user's, open to others, a symbolic link) or unusable (a debug
     * line: no home, cannot be created). Also where jffi's stub is kept ({@link JffiStub}).
     *
     * @param dir the directory ({@code fdcap.cache.dir}), or null for the default
     */
    public static Path directory(Path dir) {
        Path d = dir != null ? dir : defaultDirectory();
        if (d == null) {
            LOG.debug("no cache directory (user.home unset)");
            return null;
        }
        d = d.toAbsolutePath();
        try {
            Path parent = d.getParent();
            if (parent != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(parent);
            }
            String unsafe = CacheFiles.createPrivate(d);
            if (unsafe != null) {
                LOG.warn("not using the cache directory {} (fdcap.cache.dir): it {}; starting without the cache",
                        d, unsafe);
                return null;
            }
            return d;
        } catch (IOException | RuntimeException e) {
            LOG.debug("no cache directory {}: {}", d, e.toString());
            return null;
        }
    }

    /** {@code $XDG_CACHE_HOME/fdcap} when that is an absolute path, else {@code ~/.cache/fdcap}. */
    static Path defaultDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty() && Paths.get(xdg).isAbsolute()) {
            return Paths.get(xdg, "fdcap");
        }
        String home = System.getProperty("user.home");
        return home == null || home.isEmpty() || home.equals("?") ? null : Paths.get(home, ".cache", "fdcap");
    }

    /** Why {@code d} must not be used, or null. */
    static String unsafe(Path d) throws IOException {
        return PrivateDirectory.problem(d, 022);
    }

    /** What the woven bytes depend on, outside the bytes of the JDK types themselves. */
    static String key(File agentJar) throws IOException {
        Path jar = agentJar.toPath().toAbsolutePath();
        BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class);
        return "fdcap transform cache " + FORMAT
                + "\njava.home=" + System.getProperty("java.home")
                + "\njava.runtime.version=" + System.getProperty("java.runtime.version")
                + "\njava.vm.vendor=" + System.getProperty("java.vm.vendor")
                + "\njava.vm.version=" + System.getProperty("java.vm.version")
                + "\nagent=" + jar + " size=" + a.size() + " mtime=" + a.lastModifiedTime().toMillis()
                + " version=" + TransformCache.class.getPackage().getImplementationVersion() + "\n";
    }

    /**
     * The file of {@code key}: 64 bits of it (two different CRCs) in hex. Two keys with the same
     * name only take turns in the file, since the key is stored in it and compared.
     */
    static String fileName(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(k, 0, k.length);
        return hex8(crc32c(k, k.length)) + hex8(crc.getValue()) + ".bin";
    }

    /** The cache file. */
    public Path file() {
        return file;
    }

    /**
     * The recorded types, by internal class name, or null when there is no valid file for this
     * key (absent: silently; unreadable, corrupt or of another key: a debug line).
     */
    public Map<String, JdkTypes.Cached> read() {
        byte[] content;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile() || a.size() > MAX_FILE || a.size() < 8 + CHECKSUM) {
                LOG.debug("ignoring the cache file {}: not a regular file of at most {} bytes", file, MAX_FILE);
                return null;
            }
            content = readBounded(file, (int) a.size());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.debug("ignoring the cache file {}: {}", file, e.toString());
            return null;
        }
        try {
            return parse(content, key);
        } catch (IOException | RuntimeException e) {
            // Files are renamed into place whole, and the key is checked: a file that
            // does not decode was damaged or tampered with. Said once: it is replaced now.
            LOG.warn("ignoring the cache file {}: {}; instrumenting the JDK types again", file, e.getMessage());
            return null;
        }
    }

    /** The file's content, {@code expected} bytes; fails if it has grown past that since. */
    private static byte[] readBounded(Path file, int expected) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(Math.min(expected, MAX_FILE) + 1);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // until the end or one byte past the expected size
            }
            if (!buf.hasRemaining()) {
                throw new IOException("changed while read (more than " + expected + " bytes)");
            }
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }

    /** Decodes a cache file; throws on anything but a complete, intact file of this key. */
    static Map<String, JdkTypes.Cached> parse(byte[] content, String key) throws IOException {
        if (content.length < 8 + CHECKSUM) {
            throw new IOException("truncated");
        }
        int body = content.length - CHECKSUM;
        if (crc32c(content, body) != (ByteBuffer.wrap(content, body, CHECKSUM).getInt() & 0xffffffffL)) {
            throw new IOException("corrupt (checksum)");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(content, 0, body));
        if (in.readInt() != MAGIC || in.readInt() != FORMAT) {
            throw new IOException("not a cache file of this format");
        }
        if (!in.readUTF().equals(key)) {
            throw new IOException("made for another JDK or agent jar");
        }
        int n = in.readInt();
        if (n < 0 || n > 64) {
            throw new IOException("bad entry count " + n);
        }
        Map<String, JdkTypes.Cached> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            byte[] fingerprint = new byte[FINGERPRINT];
            in.readFully(fingerprint);
            int len = in.readInt();
            if (len <= 0 || len > in.available()) {
                throw new IOException("bad length " + len + " for " + name);
            }
            byte[] bytes = new byte[len];
            in.readFully(bytes);
            out.put(name, new JdkTypes.Cached(fingerprint, bytes));
        }
        if (in.available() != 0) {
            throw new IOException("trailing bytes");
        }
        return out;
    }

    /** Encodes {@code types} for {@code key}. */
    static byte[] format(Map<String, JdkTypes.Cached> types, String key) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 << 10);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(FORMAT);
        out.writeUTF(key);
        out.writeInt(types.size());
        for (Map.Entry<String, JdkTypes.Cached> e : types.entrySet()) {
            if (e.getValue().originalFingerprint().length != FINGERPRINT) {
                throw new IllegalArgumentException("not a fingerprint: " + e.getKey());
            }
            out.writeUTF(e.getKey());
            out.write(e.getValue().originalFingerprint());
            out.writeInt(e.getValue().bytes().length);
            out.write(e.getValue().bytes());
        }
        out.flush();
        byte[] body = bytes.toByteArray();
        out.writeInt((int) crc32c(body, body.length));
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * Stores {@code types} (atomically: a temporary file in the directory, renamed over the old
     * one) and removes the oldest files of other keys beyond {@link #KEEP}. Never throws; a
     * failure is a debug line.
     */
    public void write(Map<String, JdkTypes.Cached> types) {
        try {
            CacheFiles.replace(dir, file, format(types, key));
            LOG.debug("stored the instrumented JDK types in {}", file);
            prune();
        } catch (AccessDeniedException e) {
            LOG.debug("cannot store the instrumented JDK types in {}: not writable", dir);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot store the instrumented JDK types in {}: {}", dir, e.toString());
        }
    }

    private void prune() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.bin")) {
            for (Path p : s) {
                files.add(p);
            }
        }
        if (files.size() <= KEEP) {
            return;
        }
        files.sort(Comparator.comparing((Path p) -> {
            try {
                return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                return FileTime.fromMillis(0);
            }
        }));
        for (int i = 0; i < files.size() - KEEP; i++) {
            if (!files.get(i).equals(file)) {
                Files.deleteIfExists(files.get(i));
            }
        }
    }

    /** {@code v}'s low 32 bits, 8 hex digits. */
    private static String hex8(long v) {
        String h = Long.toHexString(v & 0xffffffffL);
        return "00000000".substring(h.length()) + h;
    }

    /** The CRC-32C of {@code b[0..length)}. */
    private static long crc32c(byte[] b, int length) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, length);
        return crc.getValue();
    }
}
