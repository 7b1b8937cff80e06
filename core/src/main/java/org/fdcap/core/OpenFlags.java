package org.fdcap.core;

import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * POSIX {@code open(2)} flags as the tracker understands them, with the values of the running
 * platform (Linux), and the translation from {@link java.nio.file.OpenOption}s.
 *
 * <p>The tracker remembers the flags a handle was opened with and reopens it with
 * {@link #forReopen(int)}: the creation flags ({@code O_CREAT}, {@code O_EXCL}, {@code O_TRUNC})
 * apply to the first open only, everything else (the access mode, {@code O_APPEND},
 * {@code O_SYNC}/{@code O_DSYNC}, {@code O_DIRECT}, ...) is kept.
 */
public final class OpenFlags {
    // Linux values (asm-generic/fcntl.h), written out rather than read from jnr-constants so that
    // a tracker on another SystemCalls loads no jnr class. O_DIRECTORY, O_NOFOLLOW and O_DIRECT
    // differ on ARM; OpenFlagsTest checks all of them against jnr-constants.
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_ACCMODE = 3;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_NOFOLLOW = isArm() ? 0x8000 : 0x20000;
    public static final int O_CLOEXEC = 0x80000;
    /** A reference to a file that is not opened for I/O (Linux 2.6.39+); reopened through /proc/self/fd. */
    public static final int O_PATH = 0x200000;
    /** {@code O_SYNC} includes {@code O_DSYNC} on Linux. */
    public static final int O_SYNC = 0x101000;
    public static final int O_DSYNC = 0x1000;
    public static final int O_DIRECT = isArm() ? 0x10000 : 0x4000;
    private static final int O_DIRECTORY = isArm() ? 0x4000 : 0x10000;
    /**
     * {@code O_TMPFILE} creates a file with no name, which can never be reopened: refused by
     * {@link FdTracker#open}.
     */
    public static final int O_TMPFILE = 0x400000 | O_DIRECTORY;

    private static final int CREATION_FLAGS = O_CREAT | O_EXCL | O_TRUNC;

    private OpenFlags() {
    }

    /** The flags to reopen a file with: {@code flags} without {@code O_CREAT}, {@code O_EXCL} and {@code O_TRUNC}. */
    public static int forReopen(int flags) {
        return flags & ~CREATION_FLAGS;
    }

    /**
     * Translates {@link java.nio.file.Files#newByteChannel} style options into open flags, with
     * the same rules as the JDK: no {@code WRITE} or {@code APPEND} means read-only, {@code APPEND}
     * implies {@code WRITE}, {@code CREATE} is ignored when {@code CREATE_NEW} is given.
     *
     * @throws IllegalArgumentException for {@code DELETE_ON_CLOSE} (the file would be gone when the
     *     handle is suspended), for {@code READ} or {@code TRUNCATE_EXISTING} combined with
     *     {@code APPEND} (as the JDK), and for options this tracker does not know
     */
    public static int fromOptions(Set<? extends OpenOption> options) {
        boolean read = false;
        boolean write = false;
        int flags = 0;
        for (OpenOption option : options) {
            if (option == StandardOpenOption.READ) {
                read = true;
            } else if (option == StandardOpenOption.WRITE) {
                write = true;
            } else if (option == StandardOpenOption.APPEND) {
                write = true;
                flags |= O_APPEND;
            } else if (option == StandardOpenOption.TRUNCATE_EXISTING) {
                flags |= O_TRUNC;
            } else if (option == StandardOpenOption.CREATE) {
                flags |= O_CREAT;
            } else if (option == StandardOpenOption.CREATE_NEW) {
                flags |= O_CREAT | O_EXCL;
            } else if (option == StandardOpenOption.SYNC) {
                flags |= O_SYNC;
            } else if (option == StandardOpenOption.DSYNC) {
                flags |= O_DSYNC;
            } else if (option == LinkOption.NOFOLLOW_LINKS) {
                flags |= O_NOFOLLOW;
            } else if (option == StandardOpenOption.SPARSE) {
                continue; // a hint only, as in the JDK on Linux
            } else if (option == StandardOpenOption.DELETE_ON_CLOSE) {
                throw new IllegalArgumentException(
                        "DELETE_ON_CLOSE is not supported: a suspended handle could not be reopened");
            } else {
                throw new IllegalArgumentException("unsupported open option: " + option);
            }
        }
        if (read && (flags & O_APPEND) != 0) {
            throw new IllegalArgumentException("READ + APPEND not allowed");
        }
        if ((flags & O_APPEND) != 0 && (flags & O_TRUNC) != 0) {
            throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
        }
        if (!write) {
            // CREATE, CREATE_NEW and TRUNCATE_EXISTING only apply when writing, as in the JDK.
            return O_RDONLY | (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_APPEND));
        }
        return (read ? O_RDWR : O_WRONLY) | flags;
    }

    /** A readable rendering such as {@code O_RDWR|O_CREAT|O_APPEND}, for logs and messages. */
    public static String describe(int flags) {
        StringBuilder sb = new StringBuilder();
        int access = flags & O_ACCMODE;
        sb.append(access == O_RDONLY ? "O_RDONLY" : access == O_WRONLY ? "O_WRONLY" : "O_RDWR");
        int rest = flags & ~O_ACCMODE;
        if ((rest & O_SYNC) == O_SYNC) {
            sb.append("|O_SYNC");
            rest &= ~O_SYNC;
        }
        String[] names = {"O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_DSYNC", "O_DIRECT", "O_NOFOLLOW", "O_CLOEXEC"};
        int[] values = {O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DSYNC, O_DIRECT, O_NOFOLLOW, O_CLOEXEC};
        for (int i = 0; i < names.length; i++) {
            if ((rest & values[i]) != 0) {
                sb.append('|').append(names[i]);
                rest &= ~values[i];
            }
        }
        if (rest != 0) {
            sb.append("|0x").append(Integer.toHexString(rest));
        }
        return sb.toString();
    }

    private static boolean isArm() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("aarch64") || arch.startsWith("arm");
    }
}
