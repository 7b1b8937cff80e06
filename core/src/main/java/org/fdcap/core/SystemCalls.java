package org.fdcap.core;

import java.io.IOException;

/**
 * The system calls a tracker makes to suspend, restore and identify files, and to keep unlinked
 * files in its pool, and those the agent makes to inspect a descriptor before managing it: the
 * seam between fdcap and the operating system. A tracker uses one implementation for all of them
 * ({@link FdTracker.Builder#systemCalls}); by default {@link #jnrPosix()}, through jnr-posix. The
 * agent uses the same one for its own calls.
 *
 * <p>Another implementation (the agent's calls the JDK's own natives, which need no set-up) must:
 * <ul>
 *   <li>report a failure as the exception {@link #failure} builds from the errno, so that messages,
 *       exception types and the recognition of EMFILE/ENFILE (more handles are then suspended and
 *       the open retried) do not depend on the implementation;</li>
 *   <li>give birth times from the same source for every call, or none at all (0): identities are
 *       compared across calls ({@link #fstat});</li>
 *   <li>be safe to call from any thread, never call back into a tracker, and not load classes
 *       after its first calls (the tracker restores files while a class loader may depend on
 *       them).</li>
 * </ul>
 *
 * <p>{@link FsHandle}'s own I/O helpers ({@code read}, {@code write}, {@code position}, ...) are for
 * programs that use the tracker as a library; they always go through jnr-posix.
 */
public interface SystemCalls {
    /**
     * jnr-posix (and {@code statx} through jffi, {@link Statx}); jnr-posix is initialized on the
     * first call that needs it.
     */
    static SystemCalls jnrPosix() {
        return JnrSystemCalls.INSTANCE;
    }

    /**
     * The exception an implementation throws for a failed call: {@code NoSuchFileException} for
     * ENOENT, {@code FileAlreadyExistsException} for EEXIST, {@code AccessDeniedException} for
     * EACCES/EPERM, else a {@code FileSystemException} that carries the errno.
     *
     * @param path the file, for the message
     * @param errno the C library's errno
     * @param call what failed, for the message ({@code "open"}, {@code "link a to"}, ...)
     */
    static IOException failure(String path, int errno, String call) {
        return PosixException.of(path, errno, call);
    }

    /** {@code open(2)}, retried on EINTR; returns the new descriptor. */
    int open(String path, int flags, int mode) throws IOException;

    /**
     * {@code close(2)}. The descriptor is released even when an error is reported (never retry);
     * the error is still reported because it may mean lost writes.
     */
    void close(int fd, String path) throws IOException;

    /** {@code lseek(fd, 0, SEEK_CUR)}: the file offset. */
    long position(int fd, String path) throws IOException;

    /** {@code lseek(fd, offset, SEEK_SET)}. */
    void seek(int fd, long offset, String path) throws IOException;

    /**
     * The identity, type and size of an open descriptor ({@code statx}, or {@code fstat} where
     * the birth time cannot be had). The birth time tells a file from a later one that was given
     * the same inode number (ext4 reuses them at once), which matters for suspended handles.
     *
     * @throws IOException {@link #failure} of the errno: EBADF for a descriptor that is not open
     */
    Stat fstat(int fd, String path) throws IOException;

    /**
     * The same as {@link #fstat}, {@code null} where it fails (a descriptor that is not open):
     * nothing is built for the failure, no message nor exception.
     */
    Stat fstatOrNull(int fd);

    /** The same for a path, following symbolic links; {@code null} when the path leads nowhere. */
    Stat statOrNull(String path);

    /**
     * The file status flags of an open descriptor, as {@code fcntl(fd, F_GETFL)} gives them: the
     * access mode, O_APPEND, O_SYNC, O_DSYNC, O_DIRECT (and O_LARGEFILE, which the kernel adds);
     * -1 when they cannot be read (a descriptor that is not open). What a reopen must repeat.
     * Reading them may take a descriptor for a moment: see {@link #openFlagsTakeADescriptor}.
     */
    int openFlags(int fd);

    /**
     * Whether {@link #openFlags} opens a descriptor of its own for the duration of the call (where
     * there is no {@code fcntl}, the flags are read from {@code /proc/self/fdinfo/N}): a caller
     * at its descriptor cap must make room for it first.
     */
    boolean openFlagsTakeADescriptor();

    /** Where {@code fd} points now ({@code /proc/self/fd}), or {@code null} if unknown. */
    String currentPath(int fd);

    /** {@code link(2)}: never replaces an existing {@code to}. */
    void link(String from, String to) throws IOException;

    /** {@code unlink(2)}. */
    void unlink(String path) throws IOException;

    /** {@code mkdir(2)}. */
    void mkdir(String path, int mode) throws IOException;

    /** {@code rmdir(2)}; false when it failed (not empty, say). */
    boolean rmdir(String path);
}
