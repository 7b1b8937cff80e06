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
    private static final int STATX_NLINK = 0x4;
    private static final int STATX_INO = 0x100;
    private static final int STATX_SIZE = 0x200;
    private static final int STATX_BTIME = 0x800;
    private static final int MASK = STATX_NLINK | STATX_INO | STATX_SIZE | STATX_BTIME;
    private static final int ENOSYS = 38;

    // Offsets in struct statx (linux/stat.h), fixed by the kernel's ABI.
    private static final int OFF_MASK = 0;
    private static final int OFF_NLINK = 16;
    private static final int OFF_INO = 32;
    private static final int OFF_SIZE = 40;
    private static final int OFF_BTIME_SEC = 80;
    private static final int OFF_BTIME_NSEC = 88;
    private static final int OFF_DEV_MAJOR = 136;
    private static final int OFF_DEV_MINOR = 140;
    private static final int SIZE = 256;

    private static final LibC LIBC;
    private static final Runtime RUNTIME;
    private static volatile boolean available;
    /** On the Java heap (jnr copies the result out): no native memory for jnr to track and free. */
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(
            () -> ByteBuffer.wrap(new byte[SIZE]).order(ByteOrder.nativeOrder()));

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
            rc = LIBC.statx(dirfd, path, flags, MASK, buf.array());
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
        long birth = 0;
        if ((buf.getInt(OFF_MASK) & STATX_BTIME) != 0) {
            birth = buf.getLong(OFF_BTIME_SEC) * 1_000_000_000L + (buf.getInt(OFF_BTIME_NSEC) & 0xffffffffL);
        }
        long dev = makedev(buf.getInt(OFF_DEV_MAJOR) & 0xffffffffL, buf.getInt(OFF_DEV_MINOR) & 0xffffffffL);
        return new Stat(dev, buf.getLong(OFF_INO), buf.getInt(OFF_NLINK), buf.getLong(OFF_SIZE), birth);
    }

    /** The C library's encoding of a device number, so that it reads as {@code stat}'s {@code st_dev}. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
    }
}
