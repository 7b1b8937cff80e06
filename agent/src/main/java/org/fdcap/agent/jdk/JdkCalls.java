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
import org.fdcap.core.Stat;
import org.fdcap.core.Statx;
import org.fdcap.core.SystemCalls;

/**
 * The tracker's system calls through the JDK's own natives, already linked in every JVM: nothing to
 * load or bind at start (jnr-posix takes a second). {@code sun.nio.fs.UnixNativeDispatcher} (open,
 * close, stat, fstat, link, unlink, mkdir, rmdir, readlink), {@code UnixFileAttributes} (what stat
 * fills in) and the channel dispatcher's {@code seek0} and {@code read0}, reached through
 * {@code static final} method handles, which the JIT inlines as constants.
 *
 * <p>Usable once {@link JdkAccess#open} has opened {@code sun.nio.fs} and {@code sun.nio.ch} to the
 * agent. The first use initializes this class; when anything it needs is missing or has another
 * signature (a JDK this was not written for), that fails with an {@code Error}, and the agent falls
 * back to jnr-posix ({@link #load}).
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

    private static final Class<?> UNIX_EXCEPTION;
    /** {@code UnixNativeDispatcher.openat(int dfd, byte[] path, int flags, int mode)}: int. */
    private static final MethodHandle OPENAT;
    /** {@code UnixNativeDispatcher.close(int)}. */
    private static final MethodHandle CLOSE;
    /** {@code UnixNativeDispatcher.fstat(int fd, UnixFileAttributes)}, as (int, Object)void. */
    private static final MethodHandle FSTAT;
    /** A new {@code UnixFileAttributes}, as ()Object. */
    private static final MethodHandle NEW_ATTRIBUTES;
    /** {@code UnixNativeDispatcher.fstatat(int dfd, byte[] path, int flag, UnixFileAttributes)}. */
    private static final MethodHandle FSTATAT;
    private static final MethodHandle DEV;
    private static final MethodHandle INO;
    private static final MethodHandle NLINK;
    private static final MethodHandle SIZE;
    private static final MethodHandle MODE;
    /** The birth time's fields, or null where this JDK never fills them in. */
    private static final MethodHandle BIRTH_SEC;
    private static final MethodHandle BIRTH_NSEC;
    private static final MethodHandle BIRTH_AVAILABLE;
    /** Its setter: a thread's attributes object is reused, and a call that gives no birth time must not show the last one's. */
    private static final MethodHandle CLEAR_BIRTH;
    /** {@code UnixNativeDispatcher.link/unlink/mkdir/rmdir/readlink} of {@code UnixPath}s, as Objects. */
    private static final MethodHandle LINK;
    private static final MethodHandle UNLINK;
    private static final MethodHandle MKDIR;
    private static final MethodHandle RMDIR;
    private static final MethodHandle READLINK;
    /** {@code seek0(FileDescriptor, long)}: lseek(fd, 0, SEEK_CUR) for a negative offset, else SEEK_SET. */
    private static final MethodHandle SEEK;
    /** {@code read0(FileDescriptor, long address, int len)}. */
    private static final MethodHandle READ;
    /** {@code JavaIOFileDescriptorAccess.set(FileDescriptor, int)}, bound to the JDK's access object. */
    private static final MethodHandle SET_FD;
    private static final MethodHandle ERRNO;
    private static final MethodHandle ADDRESS;
    private static final Class<?> UNIX_PATH;

    static {
        try {
            MethodHandles.Lookup own = MethodHandles.lookup();
            Class<?> dispatcher = Class.forName("sun.nio.fs.UnixNativeDispatcher");
            Class<?> attributes = Class.forName("sun.nio.fs.UnixFileAttributes");
            UNIX_EXCEPTION = Class.forName("sun.nio.fs.UnixException");
            UNIX_PATH = Class.forName("sun.nio.fs.UnixPath");
            MethodHandles.Lookup fs = MethodHandles.privateLookupIn(dispatcher, own);
            MethodHandles.Lookup attrs = MethodHandles.privateLookupIn(attributes, own);
            OPENAT = fs.findStatic(dispatcher, "openat",
                    MethodType.methodType(int.class, int.class, byte[].class, int.class, int.class));
            CLOSE = fs.findStatic(dispatcher, "close", MethodType.methodType(void.class, int.class));
            FSTAT = fs.findStatic(dispatcher, "fstat", MethodType.methodType(void.class, int.class, attributes))
                    .asType(MethodType.methodType(void.class, int.class, Object.class));
            NEW_ATTRIBUTES = attrs.findConstructor(attributes, MethodType.methodType(void.class))
                    .asType(MethodType.methodType(Object.class));
            FSTATAT = fs.findStatic(dispatcher, "fstatat",
                    MethodType.methodType(void.class, int.class, byte[].class, int.class, attributes))
                    .asType(MethodType.methodType(void.class, int.class, byte[].class, int.class, Object.class));
            DEV = getter(attrs, attributes, "dev", long.class);
            INO = getter(attrs, attributes, "ino", long.class);
            NLINK = getter(attrs, attributes, "nlink", int.class);
            SIZE = getter(attrs, attributes, "size", long.class);
            MODE = getter(attrs, attributes, "mode", int.class);
            boolean birth = (boolean) fs.findStatic(dispatcher, "birthtimeSupported",
                    MethodType.methodType(boolean.class)).invokeExact();
            MethodHandle available = null;
            try {
                available = attrs.findGetter(attributes, "birthtime_available", boolean.class)
                        .asType(MethodType.methodType(boolean.class, Object.class));
            } catch (NoSuchFieldException before22) {
                birth = false; // JDK 17-21: the fields exist (for BSD) but Linux never fills them in
            }
            BIRTH_AVAILABLE = birth ? available : null;
            CLEAR_BIRTH = birth ? attrs.findSetter(attributes, "birthtime_available", boolean.class)
                    .asType(MethodType.methodType(void.class, Object.class, boolean.class)) : null;
            BIRTH_SEC = birth ? attrs.findGetter(attributes, "st_birthtime_sec", long.class)
                    .asType(MethodType.methodType(long.class, Object.class)) : null;
            BIRTH_NSEC = birth ? attrs.findGetter(attributes, "st_birthtime_nsec", long.class)
                    .asType(MethodType.methodType(long.class, Object.class)) : null;
            MethodType onePath = MethodType.methodType(void.class, UNIX_PATH);
            LINK = fs.findStatic(dispatcher, "link", MethodType.methodType(void.class, UNIX_PATH, UNIX_PATH))
                    .asType(MethodType.methodType(void.class, Object.class, Object.class));
            UNLINK = fs.findStatic(dispatcher, "unlink", onePath)
                    .asType(MethodType.methodType(void.class, Object.class));
            MKDIR = fs.findStatic(dispatcher, "mkdir", MethodType.methodType(void.class, UNIX_PATH, int.class))
                    .asType(MethodType.methodType(void.class, Object.class, int.class));
            RMDIR = fs.findStatic(dispatcher, "rmdir", onePath)
                    .asType(MethodType.methodType(void.class, Object.class));
            READLINK = fs.findStatic(dispatcher, "readlink", MethodType.methodType(byte[].class, UNIX_PATH))
                    .asType(MethodType.methodType(byte[].class, Object.class));
            ERRNO = MethodHandles.privateLookupIn(UNIX_EXCEPTION, own)
                    .findVirtual(UNIX_EXCEPTION, "errno", MethodType.methodType(int.class))
                    .asType(MethodType.methodType(int.class, Object.class));
            Class<?> channels = channelDispatcher();
            MethodHandles.Lookup ch = MethodHandles.privateLookupIn(channels, own);
            SEEK = ch.findStatic(channels, "seek0",
                    MethodType.methodType(long.class, FileDescriptor.class, long.class));
            READ = ch.findStatic(channels, "read0",
                    MethodType.methodType(int.class, FileDescriptor.class, long.class, int.class));
            Class<?> direct = Class.forName("sun.nio.ch.DirectBuffer");
            ADDRESS = own.findVirtual(direct, "address", MethodType.methodType(long.class))
                    .asType(MethodType.methodType(long.class, Object.class));
            Class<?> accessType = Class.forName("jdk.internal.access.JavaIOFileDescriptorAccess");
            Object access = Class.forName("jdk.internal.access.SharedSecrets")
                    .getMethod("getJavaIOFileDescriptorAccess").invoke(null);
            SET_FD = own.findVirtual(accessType, "set",
                    MethodType.methodType(void.class, FileDescriptor.class, int.class)).bindTo(access);
            if (!UNIX_PATH.isInstance(Path.of("/"))) {
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
        return BIRTH_SEC != null;
    }

    /**
     * The JDK's calls, after a first call (a stat of {@code /}) so that a JDK whose natives do not
     * behave fails here rather than on a program's file.
     *
     * @throws Throwable whatever makes them unusable on this JDK (the class's initialization error)
     */
    public static JdkCalls load() throws Throwable {
        Object root = attributesOrNull("/");
        if (root == null || stat(root).isRegularFile()) {
            throw new IllegalStateException("stat(\"/\") through the JDK failed");
        }
        return INSTANCE;
    }

    private static MethodHandle getter(MethodHandles.Lookup lookup, Class<?> type, String name, Class<?> result)
            throws ReflectiveOperationException {
        return lookup.findVirtual(type, name, MethodType.methodType(result))
                .asType(MethodType.methodType(result, Object.class));
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
        try {
            // openat0 retries on EINTR itself.
            return (int) OPENAT.invokeExact(AT_FDCWD, path.getBytes(PATH_CHARSET), flags, mode);
        } catch (Throwable t) {
            throw failure(t, path, "open");
        }
    }

    @Override
    public void close(int fd, String path) throws IOException {
        try {
            CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw failure(t, path, "close");
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
        if (BIRTH_SEC == null && Statx.available()) {
            return Statx.ofDescriptor(fd, path);
        }
        Object attrs = SCRATCH.get().attributes();
        try {
            FSTAT.invokeExact(fd, attrs);
        } catch (Throwable t) {
            throw failure(t, path, "fstat");
        }
        return stat(attrs);
    }

    @Override
    public Stat fstatOrNull(int fd) {
        if (BIRTH_SEC == null && Statx.available()) {
            return Statx.ofDescriptorOrNull(fd);
        }
        Object attrs = SCRATCH.get().attributes();
        try {
            FSTAT.invokeExact(fd, attrs);
        } catch (Throwable t) {
            return null;
        }
        return stat(attrs);
    }

    @Override
    public Stat statOrNull(String path) {
        if (BIRTH_SEC == null && Statx.available()) {
            return Statx.ofPathOrNull(path.getBytes(PATH_CHARSET));
        }
        Object attrs = attributesOrNull(path);
        return attrs == null ? null : stat(attrs);
    }

    @Override
    public String currentPath(int fd) {
        try {
            byte[] target = (byte[]) READLINK.invokeExact((Object) Path.of("/proc/self/fd/" + fd));
            return new String(target, PATH_CHARSET);
        } catch (Throwable t) {
            return null;
        }
    }

    @Override
    public void link(String from, String to) throws IOException {
        try {
            LINK.invokeExact((Object) Path.of(from), (Object) Path.of(to));
        } catch (Throwable t) {
            throw failure(t, to, "link " + from + " to");
        }
    }

    @Override
    public void unlink(String path) throws IOException {
        try {
            UNLINK.invokeExact((Object) Path.of(path));
        } catch (Throwable t) {
            throw failure(t, path, "unlink");
        }
    }

    @Override
    public void mkdir(String path, int mode) throws IOException {
        try {
            MKDIR.invokeExact((Object) Path.of(path), mode);
        } catch (Throwable t) {
            throw failure(t, path, "mkdir");
        }
    }

    @Override
    public boolean rmdir(String path) {
        try {
            RMDIR.invokeExact((Object) Path.of(path));
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Read from {@code /proc/self/fdinfo/N} (the JDK has no fcntl for this), which takes a
     * descriptor for a moment. Read with the JDK's natives directly: opening it as a file would go
     * through the agent's own hooks.
     */
    @Override
    public int openFlags(int fd) {
        ByteBuffer buf = FDINFO_BUFFER.get();
        int info;
        try {
            info = (int) OPENAT.invokeExact(AT_FDCWD, FDINFO_PREFIX.concat(Integer.toString(fd)).getBytes(
                    StandardCharsets.ISO_8859_1), 0, 0);
        } catch (Throwable t) {
            return -1;
        }
        try {
            FileDescriptor fdo = new FileDescriptor();
            SET_FD.invokeExact(fdo, info);
            long address = (long) ADDRESS.invokeExact((Object) buf);
            int n = (int) READ.invokeExact(fdo, address, buf.capacity());
            return n <= 0 ? -1 : flagsOf(buf, n);
        } catch (Throwable t) {
            return -1;
        } finally {
            try {
                CLOSE.invokeExact(info);
            } catch (Throwable ignored) {
                // a read-only descriptor of /proc: nothing was lost
            }
        }
    }

    /** True: {@link #openFlags} opens {@code /proc/self/fdinfo/N}. */
    @Override
    public boolean openFlagsTakeADescriptor() {
        return true;
    }

    private static final String FDINFO_PREFIX = "/proc/self/fdinfo/";
    /** fdinfo starts "pos:\t...\nflags:\t0100002\n": the first 256 bytes hold the flags. */
    private static final ThreadLocal<ByteBuffer> FDINFO_BUFFER = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(256));

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
            SET_FD.invokeExact(fdo, fd);
            pos = (long) SEEK.invokeExact(fdo, offset);
        } catch (IOException e) {
            throw new IOException(path + ": lseek: " + e.getMessage(), e);
        } catch (Throwable t) {
            throw failure(t, path, "lseek");
        }
        if (pos < 0) {
            // IOStatus.INTERRUPTED: lseek reported EINTR, which it never does on Linux.
            throw new IOException(path + ": lseek: interrupted");
        }
        return pos;
    }

    /** The attributes of {@code path}, in the thread's {@link Scratch} (read them before the next call); null when it leads nowhere. */
    private static Object attributesOrNull(String path) {
        try {
            Object attrs = SCRATCH.get().attributes();
            FSTATAT.invokeExact(AT_FDCWD, path.getBytes(PATH_CHARSET), 0, attrs);
            return attrs;
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * What a thread's system calls fill in and read back at once, kept between calls: a miss
     * made two of each of these objects, and they were most of what it allocated.
     */
    private static final class Scratch {
        /** Never registered for cleanup nor seen by the agent's hooks: only ever passed to seek0. */
        final FileDescriptor descriptor = new FileDescriptor();
        private final Object attributes;

        Scratch() {
            try {
                attributes = NEW_ATTRIBUTES.invokeExact();
            } catch (Throwable t) {
                throw new IllegalStateException(t); // a private no-argument constructor: never
            }
        }

        /** The attributes object, its birth time marked absent until a call fills it in. */
        Object attributes() {
            if (CLEAR_BIRTH != null) {
                try {
                    CLEAR_BIRTH.invokeExact(attributes, false);
                } catch (Throwable t) {
                    throw new IllegalStateException(t); // a field setter: never
                }
            }
            return attributes;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static Stat stat(Object attrs) {
        try {
            long birth = 0;
            if (BIRTH_SEC != null && (boolean) BIRTH_AVAILABLE.invokeExact(attrs)) {
                birth = (long) BIRTH_SEC.invokeExact(attrs) * 1_000_000_000L + (long) BIRTH_NSEC.invokeExact(attrs);
            }
            return new Stat((long) DEV.invokeExact(attrs), (long) INO.invokeExact(attrs), (int) MODE.invokeExact(attrs),
                    (int) NLINK.invokeExact(attrs), (long) SIZE.invokeExact(attrs), birth);
        } catch (Throwable t) {
            throw new IllegalStateException(t); // getters of a record-like object: never
        }
    }

    /** The same exception as jnr-posix's path gives ({@link SystemCalls#failure}), from the JDK's {@code UnixException}. */
    static IOException failure(Throwable t, String path, String call) {
        if (UNIX_EXCEPTION.isInstance(t)) {
            int errno;
            try {
                errno = (int) ERRNO.invokeExact((Object) t);
            } catch (Throwable never) {
                errno = 0;
            }
            if (errno != 0) {
                return SystemCalls.failure(path, errno, call);
            }
            return new IOException(path + ": " + call + ": " + t.getMessage());
        }
        if (t instanceof IOException) {
            return (IOException) t;
        }
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IOException(t);
    }
}
