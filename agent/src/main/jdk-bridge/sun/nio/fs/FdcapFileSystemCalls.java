package sun.nio.fs;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import jdk.internal.access.JavaIOFileDescriptorAccess;
import jdk.internal.access.SharedSecrets;
import jdk.internal.misc.Unsafe;
import org.fdcap.agent.bootstrap.JdkFileSystem;

/**
 * fdcap's calls of the JDK's file-system natives, defined by the agent inside {@code sun.nio.fs}
 * (java.base) as it starts, so that it may call the package-private {@code UnixNativeDispatcher}
 * and {@code UnixFileAttributes} directly; see {@link JdkFileSystem}. Not part of the JDK: this
 * source is compiled against the building JDK's java.base ({@code --patch-module}) and uses only
 * what JDK 17 and JDK 25 both have. The birth time, which JDK 22+ keeps in private fields, is
 * read by field offset; a JDK without those fields gives none.
 */
final class FdcapFileSystemCalls implements JdkFileSystem {
    private static final int AT_FDCWD = -100;
    private static final Unsafe UNSAFE = Unsafe.getUnsafe();
    private static final JavaIOFileDescriptorAccess FD_ACCESS = SharedSecrets.getJavaIOFileDescriptorAccess();
    /** Field offsets of the birth time in {@code UnixFileAttributes}, or -1 where this JDK has none. */
    private static final long BIRTH_AVAILABLE;
    private static final long BIRTH_SEC;
    private static final long BIRTH_NSEC;

    static {
        long available = -1;
        long sec = -1;
        long nsec = -1;
        if (UnixNativeDispatcher.birthtimeSupported()) {
            try {
                // JDK 22+; JDK 17-21 have the two time fields (for BSD) but never fill them in on Linux.
                available = UNSAFE.objectFieldOffset(UnixFileAttributes.class, "birthtime_available");
                sec = UNSAFE.objectFieldOffset(UnixFileAttributes.class, "st_birthtime_sec");
                nsec = UNSAFE.objectFieldOffset(UnixFileAttributes.class, "st_birthtime_nsec");
            } catch (InternalError | RuntimeException before22) {
                available = -1;
            }
        }
        BIRTH_AVAILABLE = available;
        BIRTH_SEC = available < 0 ? -1 : sec;
        BIRTH_NSEC = available < 0 ? -1 : nsec;
        JdkFileSystem.Registration.register(new FdcapFileSystemCalls());
    }

    private FdcapFileSystemCalls() {
    }

    @Override
    public boolean birthTimes() {
        return BIRTH_AVAILABLE >= 0;
    }

    @Override
    public int openat(byte[] path, int flags, int mode) {
        try {
            return UnixNativeDispatcher.openat(AT_FDCWD, path, flags, mode);
        } catch (UnixException e) {
            return failed(e);
        }
    }

    @Override
    public int close(int fd) {
        try {
            UnixNativeDispatcher.close(fd);
            return 0;
        } catch (Exception e) { // UnixException on JDK 25; JDK 17's close declares none
            return e instanceof UnixException ? failed((UnixException) e) : Integer.MIN_VALUE;
        }
    }

    @Override
    public Object newAttributes() {
        try {
            // Its constructor is private and does nothing.
            return UNSAFE.allocateInstance(UnixFileAttributes.class);
        } catch (InstantiationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int fstat(int fd, Object attributes, long[] out) {
        UnixFileAttributes a = cleared(attributes);
        try {
            UnixNativeDispatcher.fstat(fd, a);
        } catch (UnixException e) {
            return failed(e);
        }
        copy(a, out);
        return 0;
    }

    @Override
    public int stat(byte[] path, Object attributes, long[] out) {
        UnixFileAttributes a = cleared(attributes);
        try {
            UnixNativeDispatcher.fstatat(AT_FDCWD, path, 0, a);
        } catch (UnixException e) {
            return failed(e);
        }
        copy(a, out);
        return 0;
    }

    @Override
    public int link(Object from, Object to) {
        try {
            UnixNativeDispatcher.link((UnixPath) from, (UnixPath) to);
            return 0;
        } catch (UnixException e) {
            return failed(e);
        }
    }

    @Override
    public int unlink(Object path) {
        try {
            UnixNativeDispatcher.unlink((UnixPath) path);
            return 0;
        } catch (UnixException e) {
            return failed(e);
        }
    }

    @Override
    public int mkdir(Object path, int mode) {
        try {
            UnixNativeDispatcher.mkdir((UnixPath) path, mode);
            return 0;
        } catch (UnixException e) {
            return failed(e);
        }
    }

    @Override
    public int rmdir(Object path) {
        try {
            UnixNativeDispatcher.rmdir((UnixPath) path);
            return 0;
        } catch (UnixException e) {
            return failed(e);
        }
    }

    @Override
    public byte[] readlink(Object path) {
        try {
            return UnixNativeDispatcher.readlink((UnixPath) path);
        } catch (UnixException e) {
            return null;
        }
    }

    @Override
    public void setFd(FileDescriptor fdo, int fd) {
        FD_ACCESS.set(fdo, fd);
    }

    @Override
    public int fd(FileDescriptor fdo) {
        return FD_ACCESS.get(fdo);
    }

    @Override
    public void closeFd(FileDescriptor fdo) throws java.io.IOException {
        FD_ACCESS.close(fdo);
    }

    @Override
    public void registerCleanup(FileDescriptor fdo) {
        FD_ACCESS.registerCleanup(fdo);
    }

    @Override
    public long address(ByteBuffer direct) {
        return ((sun.nio.ch.DirectBuffer) direct).address();
    }

    /** {@code attributes}, its birth time marked absent: a reused object must not show the last call's. */
    private static UnixFileAttributes cleared(Object attributes) {
        UnixFileAttributes a = (UnixFileAttributes) attributes;
        if (BIRTH_AVAILABLE >= 0) {
            UNSAFE.putBoolean(a, BIRTH_AVAILABLE, false);
        }
        return a;
    }

    private static void copy(UnixFileAttributes a, long[] out) {
        out[DEV] = a.dev();
        out[INO] = a.ino();
        out[MODE] = a.mode();
        out[NLINK] = a.nlink();
        out[SIZE] = a.size();
        out[BIRTH] = BIRTH_AVAILABLE >= 0 && UNSAFE.getBoolean(a, BIRTH_AVAILABLE)
                ? UNSAFE.getLong(a, BIRTH_SEC) * 1_000_000_000L + UNSAFE.getLong(a, BIRTH_NSEC) : 0;
    }

    private static int failed(UnixException e) {
        int errno = e.errno();
        return errno > 0 ? -errno : Integer.MIN_VALUE;
    }
}
