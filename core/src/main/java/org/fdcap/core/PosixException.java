package org.fdcap.core;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * A failed system call, naming the file and the errno; {@link #errno()} tells why (e.g. to retry
 * on EMFILE). Built the same way whatever {@link SystemCalls} made the call, so that messages and
 * exception types do not depend on it.
 *
 * <p>Loads nothing of jnr until a message is built: the errno values the tracker tests are the
 * Linux ones, the same on every architecture.
 */
final class PosixException extends FileSystemException {
    private static final long serialVersionUID = 1L;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int ENFILE = 23;
    static final int EMFILE = 24;

    private final int errno;

    PosixException(String file, int errno, String what) {
        super(file, null, what + ": " + describe(errno));
        this.errno = errno;
    }

    int errno() {
        return errno;
    }

    boolean outOfDescriptors() {
        return errno == EMFILE || errno == ENFILE;
    }

    /** "No such file or directory (ENOENT)": jnr-constants' table, a pure Java class. */
    static String describe(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        return e == jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno
                : e.description() + " (" + e.name() + ")";
    }

    /** The exception for a failed call on {@code path}: the {@code java.nio.file} type where one fits. */
    static IOException of(String path, int errno, String what) {
        if (errno == ENOENT) {
            return new NoSuchFileException(path, null, what + ": " + describe(errno));
        }
        if (errno == EEXIST) {
            return new FileAlreadyExistsException(path, null, what + ": " + describe(errno));
        }
        if (errno == EACCES || errno == EPERM) {
            return new AccessDeniedException(path, null, what + ": " + describe(errno));
        }
        return new PosixException(path, errno, what);
    }
}
