package org.fdcap.core;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import jnr.constants.platform.Fcntl;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * {@link SystemCalls} through jnr-posix, and {@code statx} through jffi ({@link Statx}): the
 * tracker's default. Errors become the exceptions {@link SystemCalls#failure} builds; return values
 * of -1 are never passed on. Its static helpers ({@link #read}, {@link #write}, ...) are
 * {@link FsHandle}'s I/O for programs that use the tracker as a library.
 *
 * <p>jnr-posix's own error handler is replaced by one that never prints and never throws
 * ({@link SilentPosixHandler}), so that every failure is handled here, once. jnr-posix itself is
 * initialized on the first call that needs it: {@link #fstat} and {@link #statOrNull} need only
 * {@link Statx} where the C library has it.
 */
final class JnrSystemCalls implements SystemCalls {
    static final JnrSystemCalls INSTANCE = new JnrSystemCalls();

    private static final int SEEK_SET = 0;
    private static final int SEEK_CUR = 1;
    private static final int EINTR = PosixException.EINTR;

    private JnrSystemCalls() {
    }

    @Override
    public int open(String path, int flags, int mode) throws IOException {
        while (true) {
            int fd = Libc.LIBC.open(path, flags, mode);
            if (fd >= 0) {
                return fd;
            }
            int errno = errno();
            if (errno != EINTR) {
                throw SystemCalls.failure(path, errno, "open");
            }
        }
    }

    @Override
    public void close(int fd, String path) throws IOException {
        // On Linux the descriptor is released even when close reports an error: never retried.
        if (Libc.LIBC.close(fd) < 0) {
            int errno = errno();
            if (errno != EINTR) {
                throw new PosixException(path, errno, "close");
            }
        }
    }

    @Override
    public long position(int fd, String path) throws IOException {
        return lseek(fd, 0, SEEK_CUR, path);
    }

    @Override
    public void seek(int fd, long offset, String path) throws IOException {
        lseek(fd, offset, SEEK_SET, path);
    }

    @Override
    public Stat fstat(int fd, String path) throws IOException {
        if (Statx.available()) {
            return Statx.ofDescriptor(fd, path);
        }
        FileStat st = Libc.STAT_BUFFER.get();
        if (Libc.LIBC.fstat(fd, st) < 0) {
            throw new PosixException(path, errno(), "fstat");
        }
        return stat(st);
    }

    @Override
    public Stat fstatOrNull(int fd) {
        if (Statx.available()) {
            return Statx.ofDescriptorOrNull(fd);
        }
        FileStat st = Libc.STAT_BUFFER.get();
        return Libc.LIBC.fstat(fd, st) < 0 ? null : stat(st);
    }

    @Override
    public Stat statOrNull(String path) {
        if (Statx.available()) {
            // The bytes jnr gives the C library for a String (the default charset), as stat had them.
            return Statx.ofPathOrNull(path.getBytes(PATH_CHARSET));
        }
        FileStat st = Libc.STAT_BUFFER.get();
        return Libc.LIBC.stat(path, st) < 0 ? null : stat(st);
    }

    @Override
    public int openFlags(int fd) {
        int flags = Libc.LIBC.fcntl(fd, Fcntl.F_GETFL);
        return flags < 0 ? -1 : flags;
    }

    /** False: {@code fcntl} needs no descriptor of its own. */
    @Override
    public boolean openFlagsTakeADescriptor() {
        return false;
    }

    @Override
    public String currentPath(int fd) {
        byte[] buf = new byte[4096];
        int n = Libc.LIBC.readlink("/proc/self/fd/" + fd, buf, buf.length);
        if (n <= 0 || n >= buf.length) {
            return null;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public void link(String from, String to) throws IOException {
        if (Libc.LIBC.link(from, to) < 0) {
            throw SystemCalls.failure(to, errno(), "link " + from + " to");
        }
    }

    @Override
    public void unlink(String path) throws IOException {
        if (Libc.LIBC.unlink(path) < 0) {
            throw SystemCalls.failure(path, errno(), "unlink");
        }
    }

    @Override
    public void mkdir(String path, int mode) throws IOException {
        if (Libc.LIBC.mkdir(path, mode) < 0) {
            throw SystemCalls.failure(path, errno(), "mkdir");
        }
    }

    @Override
    public boolean rmdir(String path) {
        return Libc.LIBC.rmdir(path) == 0;
    }

    // ---- FsHandle's I/O, for the tracker used as a library ----

    /** {@code read(2)}, retried on EINTR: the bytes read, 0 at the end of the file. */
    static int read(int fd, byte[] buf, int len, String path) throws IOException {
        while (true) {
            int n = Libc.LIBC.read(fd, buf, len);
            if (n >= 0) {
                return n;
            }
            int errno = errno();
            if (errno != EINTR) {
                throw new PosixException(path, errno, "read");
            }
        }
    }

    /** {@code write(2)}, retried on EINTR: the bytes written, perhaps fewer than {@code len}. */
    static int write(int fd, byte[] buf, int len, String path) throws IOException {
        while (true) {
            int n = Libc.LIBC.write(fd, buf, len);
            if (n >= 0) {
                return n;
            }
            int errno = errno();
            if (errno != EINTR) {
                throw new PosixException(path, errno, "write");
            }
        }
    }

    /** {@code pread(2)}, retried on EINTR. */
    static long pread(int fd, byte[] buf, int len, long offset, String path) throws IOException {
        while (true) {
            long n = Libc.LIBC.pread(fd, buf, (long) len, offset);
            if (n >= 0) {
                return n;
            }
            int errno = errno();
            if (errno != EINTR) {
                throw new PosixException(path, errno, "pread");
            }
        }
    }

    /** {@code pwrite(2)}, retried on EINTR. */
    static long pwrite(int fd, byte[] buf, int len, long offset, String path) throws IOException {
        while (true) {
            long n = Libc.LIBC.pwrite(fd, buf, (long) len, offset);
            if (n >= 0) {
                return n;
            }
            int errno = errno();
            if (errno != EINTR) {
                throw new PosixException(path, errno, "pwrite");
            }
        }
    }

    static void ftruncate(int fd, long size, String path) throws IOException {
        if (Libc.LIBC.ftruncate(fd, size) < 0) {
            throw new PosixException(path, errno(), "ftruncate");
        }
    }

    static void fsync(int fd, String path) throws IOException {
        if (Libc.LIBC.fsync(fd) < 0) {
            throw new PosixException(path, errno(), "fsync");
        }
    }

    /** The effective user id of this process (what owns the files it creates). */
    static int geteuid() {
        return Libc.LIBC.geteuid();
    }

    // ---- internals ----

    private static final Charset PATH_CHARSET = Charset.defaultCharset();

    private static int errno() {
        return Libc.LIBC.errno();
    }

    private static long lseek(int fd, long offset, int whence, String path) throws IOException {
        long pos = Libc.LIBC.lseekLong(fd, offset, whence);
        if (pos < 0) {
            throw new PosixException(path, errno(), "lseek");
        }
        return pos;
    }

    private static Stat stat(FileStat st) {
        return new Stat(st.dev(), st.ino(), st.mode(), st.nlink(), st.st_size(), 0);
    }

    /** jnr-posix, initialized on the first call that needs it. */
    private static final class Libc {
        static final POSIX LIBC = POSIXFactory.getNativePOSIX(new SilentPosixHandler());
        /** jnr's stat buffers are costly to allocate (native memory); one per thread is reused. */
        static final ThreadLocal<FileStat> STAT_BUFFER = ThreadLocal.withInitial(LIBC::allocateStat);
    }
}
