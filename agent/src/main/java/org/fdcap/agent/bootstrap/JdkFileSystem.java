package org.fdcap.agent.bootstrap;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;

/**
 * The JDK's own file-system natives, as {@code org.fdcap.agent.jdk.JdkCalls} uses them, called by a
 * class that the agent defines inside {@code sun.nio.fs} as it starts ({@code FdcapFileSystemCalls},
 * from {@code agent/src/main/jdk-bridge}, compiled as part of java.base). That class calls the
 * package-private methods of {@code UnixNativeDispatcher} and {@code UnixFileAttributes} directly;
 * reaching them from outside took some twenty method handles, each adapted to the agent's types
 * and spun into a class in the interpreter: 30-50 ms of every start. This interface is on the
 * boot class path, where both that class (in java.base, which reads this module) and the agent
 * see it.
 *
 * <p>Calls that fail return the negated {@code errno} ({@link Integer#MIN_VALUE} when the JDK
 * gave none) instead of throwing. Paths are the bytes the JDK would pass to the system call, or
 * the JDK's own {@code Path}s ({@code Path.of}) where its dispatcher takes a {@code UnixPath}.
 */
public interface JdkFileSystem {
    /** Indexes into the array {@link #fstat} and {@link #stat} fill in. */
    int DEV = 0;
    int INO = 1;
    int MODE = 2;
    int NLINK = 3;
    int SIZE = 4;
    /** The birth time in nanoseconds since the epoch; 0 where unknown. */
    int BIRTH = 5;
    int STAT_LENGTH = 6;

    /** Whether this JDK's stat gives birth times (JDK 22+ on a C library with {@code statx}). */
    boolean birthTimes();

    /** {@code openat(AT_FDCWD, path, flags, mode)}: the descriptor, or the negated errno. */
    int openat(byte[] path, int flags, int mode);

    /** {@code close(fd)}: 0, or the negated errno (JDK 17 ignores errors of close: always 0 there). */
    int close(int fd);

    /** A new attributes object for {@link #fstat} and {@link #stat}, to keep and reuse on one thread. */
    Object newAttributes();

    /** {@code fstat(fd)} into {@code attributes}, copied into {@code out}; 0 or the negated errno. */
    int fstat(int fd, Object attributes, long[] out);

    /** {@code fstatat(AT_FDCWD, path, 0)}, as {@link #fstat}. */
    int stat(byte[] path, Object attributes, long[] out);

    /** {@code link(from, to)}; 0 or the negated errno. */
    int link(Object from, Object to);

    int unlink(Object path);

    int mkdir(Object path, int mode);

    int rmdir(Object path);

    /** The target of the symbolic link {@code path}, or null when it cannot be read. */
    byte[] readlink(Object path);

    /** Puts the number {@code fd} into {@code fdo}, registering no cleanup for it. */
    void setFd(FileDescriptor fdo, int fd);

    /** The number inside {@code fdo}. */
    int fd(FileDescriptor fdo);

    /** The JDK's close of {@code fdo}: its cleanup unregistered, the descriptor closed, -1 set. */
    void closeFd(FileDescriptor fdo) throws java.io.IOException;

    /** Registers the JDK's cleanup for the number now inside {@code fdo}. */
    void registerCleanup(FileDescriptor fdo);

    /** The address of a direct buffer's memory. */
    long address(ByteBuffer direct);

    /** Where the class inside java.base hands over its instance, once, when it is initialized. */
    final class Registration {
        private static JdkFileSystem instance;

        private Registration() {
        }

        /** Called by the class's static initializer; the first registration stays. */
        public static synchronized void register(JdkFileSystem calls) {
            if (instance == null) {
                instance = calls;
            }
        }

        /** The registered instance, or null. */
        public static synchronized JdkFileSystem get() {
            return instance;
        }
    }
}
