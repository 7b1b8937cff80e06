package org.fdcap.core;

import java.io.IOException;
import java.nio.charset.Charset;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * System calls through jnr-posix, with errors turned into {@link IOException}s that name the file
 * and the errno ({@link PosixException}). Return values of -1 are never passed on. The tracker's
 * default {@link SystemCalls} ({@link JnrSystemCalls}), and {@link FsHandle}'s I/O helpers.
 *
 * <p>jnr-posix's own error handler is replaced by one that never prints and never throws, so
 * that every failure is handled here, once.
 */
final class Posix {
    static final int SEEK_SET = 0;
    static final int SEEK_CUR = 1;
    private static final int EINTR = PosixException.EINTR;
    private static final Charset PATH_CHARSET = Charset.defaultCharset();

    private Posix() {
    }

    static int errno() {
        return Libc.LIBC.errno();
    }

    static int open(String path, int flags, int mode) throws IOException {
        while (true) {
            int fd = Libc.LIBC.open(path, flags, mode);
            if (fd >= 0) {
                return fd;
            }
            int errno = errno();
            if (errno == EINTR) {
                continue;
            }
            throw failure(path, errno, "open");
        }
    }

    /**
     * Closes {@code fd}. On Linux the descriptor is released even when close reports an error, so
     * the caller must never retry it; the error is still reported because it may mean lost writes.
     */
    static void close(int fd, String path) throws IOException {
        if (Libc.LIBC.close(fd) < 0) {
            int errno = errno();
            if (errno != EINTR) {
                throw new PosixException(path, errno, "close");
            }
        }
    }

    static long lseek(int fd, long offset, int whence, String path) throws IOException {
        long pos = Libc.LIBC.lseekLong(fd, offset, whence);
        if (pos < 0) {
            throw new PosixException(path, errno(), "lseek");
        }
        return pos;
    }

    /** {@code statx} (or {@code fstat} where it is missing) of an open descriptor. */
    static Stat fstat(int fd, String path) throws IOException {
        if (Statx.available()) {
            return Statx.ofDescriptor(fd, path);
        }
        FileStat st = Libc.STAT_BUFFER.get();
        if (Libc.LIBC.fstat(fd, st) < 0) {
            throw new PosixException(path, errno(), "fstat");
        }
        return new Stat(st.dev(), st.ino(), st.nlink(), st.st_size(), 0);
    }

    /**
     * {@code statx} (or {@code stat} where it is missing) of a path, following symbolic links;
     * {@code null} when the path leads nowhere.
     */
    static Stat statOrNull(String path) {
        if (Statx.available()) {
            // The bytes jnr gives the C library for a String (the default charset), as stat had them.
            return Statx.ofPathOrNull(path.getBytes(PATH_CHARSET));
        }
        FileStat st = Libc.STAT_BUFFER.get();
        if (Libc.LIBC.stat(path, st) < 0) {
            return null;
        }
        return new Stat(st.dev(), st.ino(), st.nlink(), st.st_size(), 0);
    }

    /** Where {@code fd} points now (Linux {@code /proc/self/fd}), or {@code null} if unknown. */
    static String currentPath(int fd) {
        byte[] buf = new byte[4096];
        int n = Libc.LIBC.readlink("/proc/self/fd/" + fd, buf, buf.length);
        if (n <= 0 || n >= buf.length) {
            return null;
        }
        return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Creates a hard link; never replaces an existing {@code to}. */
    static void link(String from, String to) throws IOException {
        if (Libc.LIBC.link(from, to) < 0) {
            throw failure(to, errno(), "link " + from + " to");
        }
    }

    static void unlink(String path) throws IOException {
        if (Libc.LIBC.unlink(path) < 0) {
            throw failure(path, errno(), "unlink");
        }
    }

    static void mkdir(String path, int mode) throws IOException {
        if (Libc.LIBC.mkdir(path, mode) < 0) {
            throw failure(path, errno(), "mkdir");
        }
    }

    /** The effective user id of this process. */
    static int geteuid() {
        return Libc.LIBC.geteuid();
    }

    static boolean rmdir(String path) {
        return Libc.LIBC.rmdir(path) == 0;
    }

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

    private static IOException failure(String path, int errno, String what) {
        return PosixException.of(path, errno, what);
    }

    /**
     * jnr-posix, initialized on the first call that needs it: {@link #fstat} and {@link #statOrNull}
     * need only {@link Statx} where the C library has it.
     */
    private static final class Libc {
        static final POSIX LIBC = POSIXFactory.getNativePOSIX(new SilentPosixHandler());
        /** jnr's stat buffers are costly to allocate (native memory); one per thread is reused. */
        static final ThreadLocal<FileStat> STAT_BUFFER = ThreadLocal.withInitial(LIBC::allocateStat);
    }
}
