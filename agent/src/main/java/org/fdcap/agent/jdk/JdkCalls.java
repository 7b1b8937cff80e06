package org.fdcap.agent.jdk;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.fdcap.agent.bootstrap.JdkFileSystem;
import org.fdcap.core.Stat;
import org.fdcap.core.Statx;
import org.fdcap.core.SystemCalls;

/**
 * The tracker's system calls through the JDK's own natives, already linked in every JVM: nothing to
 * load or bind at start (jnr-posix takes a second). {@code sun.nio.fs.UnixNativeDispatcher} (open,
 * close, stat, fstat, link, unlink, mkdir, rmdir, readlink) and {@code UnixFileAttributes} (what
 * stat fills in) are called by a class the agent defines inside {@code sun.nio.fs}
 * ({@link JdkFileSystem}; twenty method handles before, spun into classes at every start); the
 * channel dispatcher's {@code seek0} and {@code read0} through two {@code static final} method
 * handles of their exact types, which the JIT inlines as constants.
 *
 * <p>Usable once {@link JdkAccess#open} has opened {@code sun.nio.fs} and {@code sun.nio.ch} to the
 * agent. The first use initializes this class; when anything it needs is missing or has another
 * signature (a JDK this was not written for), {@link #load} fails, and the agent falls back to
 * jnr-posix.
 *
 * <p>Checked against the sources of JDK 17 and 25. Their differences: {@code close} throws
 * {@code UnixException} on 25 only (17 ignores close errors); {@code seek0}/{@code read0} are in
 * {@code FileDispatcherImpl} on 17 and {@code UnixFileDispatcherImpl} on 25 (either is taken); the
 * birth time ({@code statx}) is filled in on 25 (from JDK 22, with {@code birthtime_available}),
 * never on 17. Where the JDK gives no birth time, {@link #fstat} and {@link #statOrNull} call
 * {@code statx} through jffi instead (core's {@link Statx}, set up by the start's warm-up; the JDK's
 * stat without birth times where statx cannot be called): identities must come from one source,
 * and without the birth time a file replaced while suspended could take the inode number of the
 * file it replaced.
 */
public final class JdkCalls implements SystemCalls {
    static final JdkCalls INSTANCE = new JdkCalls();

    private static final int AT_FDCWD = -100;

    private static final Charset PATH_CHARSET = pathCharset();

    /** The JDK's file-system natives, called directly from inside {@code sun.nio.fs} ({@link JdkBridge}). */
    private static final JdkFileSystem FS;
    /** {@code seek0(FileDescriptor, long)}: lseek(fd, 0, SEEK_CUR) for a negative offset, else SEEK_SET. */
    private static final MethodHandle SEEK;
    /** {@code read0(FileDescriptor, long address, int len)}. */
    private static final MethodHandle READ;

    static {
        try {
            MethodHandles.Lookup own = MethodHandles.lookup();
            FS = JdkBridge.calls();
            // Exact types: no adaptation to spin at start. (The class names differ: 17 / 21+.)
            Class<?> channels = channelDispatcher();
            MethodHandles.Lookup ch = MethodHandles.privateLookupIn(channels, own);
            SEEK = ch.findStatic(channels, "seek0",
                    MethodType.methodType(long.class, FileDescriptor.class, long.class));
            READ = ch.findStatic(channels, "read0",
                    MethodType.methodType(int.class, FileDescriptor.class, long.class, int.class));
            if (!Path.of("/").getClass().getName().startsWith("sun.nio.fs.")) {
                throw new IllegalStateException("the default file system is not the JDK's own");
            }
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    private JdkCalls() {
    }

    /** Whether this JDK gives birth times (JDK 22+); else {@link #fstat} and {@link #statOrNull} use {@link Statx}. */
    public static boolean birthFromJdk() {
        return BIRTH;
    }

    private static final boolean BIRTH = FS.birthTimes();

    /**
     * The JDK's calls, after a first call of each (failing ones, on paths that do not exist, for
     * those that change something) so that a JDK whose internals differ fails here, at start,
     * rather than on a program's file.
     *
     * @throws Throwable whatever makes them unusable on this JDK (the class's initialization error)
     */
    public static JdkCalls load() throws Throwable {
        Object root = attributesOrNull("/");
        if (root == null || stat(root).isRegularFile()) {
            throw new IllegalStateException("stat(\"/\") through the JDK failed");
        }
        int fd = FS.openat("/".getBytes(StandardCharsets.ISO_8859_1), 0, 0);
        if (fd < 0) {
            throw new IllegalStateException("open(\"/\") through the JDK failed: " + fd);
        }
        try {
            Scratch s = SCRATCH.get();
            if (FS.fstat(fd, s.attributes(), s.stat) != 0 || FS.readlink(Path.of("/proc/self/fd/" + fd)) == null) {
                throw new IllegalStateException("fstat or readlink through the JDK failed");
            }
        } finally {
            FS.close(fd);
        }
        Path absent = Path.of("/proc/self/fdcap-absent");
        FS.link(absent, Path.of("/proc/self/fdcap-absent-2"));
        FS.unlink(absent);
        FS.mkdir(Path.of("/proc/self/fdcap-absent/d"), 0700);
        FS.rmdir(absent);
        ByteBuffer buffer = FDINFO_BUFFER.get();
        if (FS.address(buffer) == 0) {
            throw new IllegalStateException("no address for a direct buffer");
        }
        FS.setFd(SCRATCH.get().descriptor, -1);
        return INSTANCE;
    }

    /** {@code seek0}'s class: {@code UnixFileDispatcherImpl} on JDK 21+, {@code FileDispatcherImpl} before. */
    private static Class<?> channelDispatcher() throws ClassNotFoundException {
        try {
            return Class.forName("sun.nio.ch.UnixFileDispatcherImpl");
        } catch (ClassNotFoundException jdk17) {
            return Class.forName("sun.nio.ch.FileDispatcherImpl");
        }
    }

    /** The encoding the JDK gives paths in system calls ({@code sun.jnu.encoding}), so that a reopen names the same bytes. */
    private static Charset pathCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException unknown) {
            return StandardCharsets.UTF_8;
        }
    }

    // ---- SystemCalls ----

    @Override
    public int open(String path, int flags, int mode) throws IOException {
        // openat0 retries on EINTR itself.
        int fd = FS.openat(path.getBytes(PATH_CHARSET), flags, mode);
        if (fd < 0) {
            throw failure(fd, path, "open");
        }
        return fd;
    }

    @Override
    public void close(int fd, String path) throws IOException {
        int result = FS.close(fd);
        if (result < 0) {
            throw failure(result, path, "close");
        }
    }

    @Override
    public long position(int fd, String path) throws IOException {
        return seek0(fd, -1, path);
    }

    @Override
    public void seek(int fd, long offset, String path) throws IOException {
        seek0(fd, offset, path);
    }

    @Override
    public Stat fstat(int fd, String path) throws IOException {
        if (!BIRTH && Statx.available()) {
            return Statx.ofDescriptor(fd, path);
        }
        Scratch s = SCRATCH.get();
        int result = FS.fstat(fd, s.attributes(), s.stat);
        if (result < 0) {
            throw failure(result, path, "fstat");
        }
        return stat(s.stat);
    }

    @Override
    public Stat fstatOrNull(int fd) {
        if (!BIRTH && Statx.available()) {
            return Statx.ofDescriptorOrNull(fd);
        }
        Scratch s = SCRATCH.get();
        return FS.fstat(fd, s.attributes(), s.stat) < 0 ? null : stat(s.stat);
    }

    @Override
    public Stat statOrNull(String path) {
        if (!BIRTH && Statx.available()) {
            return Statx.ofPathOrNull(path.getBytes(PATH_CHARSET));
        }
        Object stat = attributesOrNull(path);
        return stat == null ? null : stat(stat);
    }

    @Override
    public String currentPath(int fd) {
        byte[] target = FS.readlink(Path.of("/proc/self/fd/" + fd));
        return target == null ? null : new String(target, PATH_CHARSET);
    }

    @Override
    public void link(String from, String to) throws IOException {
        int result = FS.link(Path.of(from), Path.of(to));
        if (result < 0) {
            throw failure(result, to, "link " + from + " to");
        }
    }

    @Override
    public void unlink(String path) throws IOException {
        int result = FS.unlink(Path.of(path));
        if (result < 0) {
            throw failure(result, path, "unlink");
        }
    }

    @Override
    public void mkdir(String path, int mode) throws IOException {
        int result = FS.mkdir(Path.of(path), mode);
        if (result < 0) {
            throw failure(result, path, "mkdir");
        }
    }

    @Override
    public boolean rmdir(String path) {
        return FS.rmdir(Path.of(path)) == 0;
    }

    /**
     * Read from {@code /proc/self/fdinfo/N} (the JDK has no fcntl for this), which takes a
     * descriptor for a moment. Read with the JDK's natives directly: opening it as a file would go
     * through the agent's own hooks.
     */
    @Override
    public int openFlags(int fd) {
        ByteBuffer buf = FDINFO_BUFFER.get();
        int info = FS.openat(FDINFO_PREFIX.concat(Integer.toString(fd)).getBytes(StandardCharsets.ISO_8859_1), 0, 0);
        if (info < 0) {
            return -1;
        }
        try {
            FileDescriptor fdo = new FileDescriptor();
            FS.setFd(fdo, info);
            int n = (int) READ.invokeExact(fdo, FS.address(buf), buf.capacity());
            return n <= 0 ? -1 : flagsOf(buf, n);
        } catch (Throwable t) {
            return -1;
        } finally {
            FS.close(info); // a read-only descriptor of /proc: nothing is lost if it fails
        }
    }

    /** True: {@link #openFlags} opens {@code /proc/self/fdinfo/N}. */
    @Override
    public boolean openFlagsTakeADescriptor() {
        return true;
    }

    private static final String FDINFO_PREFIX = "/proc/self/fdinfo/";
    /** fdinfo starts "pos:\t...\nflags:\t0100002\n": the first 256 bytes hold the flags. */
    private static final ThreadLocal<ByteBuffer> FDINFO_BUFFER = new ThreadLocal<>() {
        @Override
        protected ByteBuffer initialValue() {
            return ByteBuffer.allocateDirect(256);
        }
    };

    /** The octal number after "flags:" in the {@code n} bytes of {@code buf}; -1 when absent. */
    static int flagsOf(ByteBuffer buf, int n) {
        for (int i = 0; i + 6 < n; i++) {
            if (buf.get(i) == 'f' && (i == 0 || buf.get(i - 1) == '\n') && buf.get(i + 1) == 'l'
                    && buf.get(i + 2) == 'a' && buf.get(i + 3) == 'g' && buf.get(i + 4) == 's'
                    && buf.get(i + 5) == ':') {
                int j = i + 6;
                while (j < n && (buf.get(j) == '\t' || buf.get(j) == ' ')) {
                    j++;
                }
                int flags = 0;
                boolean digits = false;
                for (; j < n && buf.get(j) >= '0' && buf.get(j) <= '7'; j++) {
                    flags = flags * 8 + (buf.get(j) - '0');
                    digits = true;
                }
                return digits ? flags : -1;
            }
        }
        return -1;
    }

    // ---- internals ----

    private static long seek0(int fd, long offset, String path) throws IOException {
        FileDescriptor fdo = SCRATCH.get().descriptor;
        long pos;
        try {
            FS.setFd(fdo, fd);
            pos = (long) SEEK.invokeExact(fdo, offset);
        } catch (IOException e) {
            throw new IOException(path + ": lseek: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(path + ": lseek: " + t, t);
        }
        if (pos < 0) {
            // IOStatus.INTERRUPTED: lseek reported EINTR, which it never does on Linux.
            throw new IOException(path + ": lseek: interrupted");
        }
        return pos;
    }

    /** The stat of {@code path}, in the thread's {@link Scratch} (read it before the next call); null when it leads nowhere. */
    private static long[] attributesOrNull(String path) {
        Scratch s = SCRATCH.get();
        return FS.stat(path.getBytes(PATH_CHARSET), s.attributes(), s.stat) < 0 ? null : s.stat;
    }

    /**
     * What a thread's system calls fill in and read back at once, kept between calls: a miss
     * made two of each of these objects, and they were most of what it allocated.
     */
    private static final class Scratch {
        /** Never registered for cleanup nor seen by the agent's hooks: only ever passed to seek0. */
        final FileDescriptor descriptor = new FileDescriptor();
        private final Object attributes = FS.newAttributes();
        final long[] stat = new long[JdkFileSystem.STAT_LENGTH];

        /** The JDK's attributes object that the calls fill in (the bridge clears its birth time first). */
        Object attributes() {
            return attributes;
        }
    }

    // Subclasses, not ThreadLocal.withInitial: a lambda on the start path is a class spun at start.
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private static Stat stat(Object filled) {
        long[] st = (long[]) filled;
        return new Stat(st[JdkFileSystem.DEV], st[JdkFileSystem.INO], (int) st[JdkFileSystem.MODE],
                (int) st[JdkFileSystem.NLINK], st[JdkFileSystem.SIZE], st[JdkFileSystem.BIRTH]);
    }

    /**
     * The same exception as jnr-posix's path gives ({@link SystemCalls#failure}) for what a call of
     * {@link JdkFileSystem} returned: a negated errno, or {@link Integer#MIN_VALUE} without one.
     */
    static IOException failure(int result, String path, String call) {
        if (result == Integer.MIN_VALUE) {
            return new IOException(path + ": " + call + ": failed (the JDK gave no errno)");
        }
        return SystemCalls.failure(path, -result, call);
    }
}
