package org.fdcap.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;

/**
 * {@code statx(2)}, for the one thing {@code stat} cannot tell: a file's birth time. Filesystems
 * give a deleted file's inode number to the next file created (ext4 does so at once), so device
 * and inode alone cannot tell a file from its replacement once no descriptor holds it open — the
 * situation of a suspended handle. The birth time can.
 *
 * <p>Where {@code statx} is missing (a C library older than glibc 2.28, a kernel older than 4.11)
 * or the filesystem does not record birth times, the birth time reads as 0 and identity falls
 * back to device and inode.
 */
final class Statx {
    /** The C interface: {@code int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf)}. */
    public interface LibC {
        int statx(int dirfd, String path, int flags, int mask, @Out byte[] buf);
    }

    private static final int AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int ENOSYS = 38;

    private static final LibC LIBC;
    private static final Runtime RUNTIME;
    private static volatile boolean available;
    /** On the Java heap (jnr copies the result out): no native memory for jnr to track and free. */
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(
            () -> ByteBuffer.wrap(new byte[Stat.STATX_SIZE]).order(ByteOrder.nativeOrder()));

    static {
        LibC lib = null;
        Runtime runtime = null;
        try {
            lib = LibraryLoader.create(LibC.class).failImmediately().load("c");
            runtime = Runtime.getRuntime(lib);
        } catch (LinkageError | RuntimeException noStatx) {
            lib = null;
        }
        LIBC = lib;
        RUNTIME = runtime;
        available = lib != null;
    }

    private Statx() {
    }

    /** False once {@code statx} proved missing: callers use {@code stat}/{@code fstat} instead. */
    static boolean available() {
        return available;
    }

    /** {@code statx} of an open descriptor; null when the call is not available (use fstat). */
    static Stat ofDescriptor(int fd, String path) throws IOException {
        return call(fd, "", AT_EMPTY_PATH, path);
    }

    /** {@code statx} of a path, following symbolic links; null when the call is not available (use stat). */
    static Stat ofPath(String path) throws IOException {
        return call(AT_FDCWD, path, 0, path);
    }

    private static Stat call(int dirfd, String path, int flags, String name) throws IOException {
        ByteBuffer buf = BUFFER.get();
        int rc;
        try {
            rc = LIBC.statx(dirfd, path, flags, Stat.STATX_MASK, buf.array());
        } catch (LinkageError missing) {
            available = false;
            return null;
        }
        if (rc < 0) {
            int errno = LastError.getLastError(RUNTIME);
            if (errno == ENOSYS) {
                available = false;
                return null;
            }
            throw new PosixException(name, errno, "statx");
        }
        return Stat.ofStatx(buf);
    }
}
