package org.fdcap.agent.jdk;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import jnr.constants.platform.Fcntl;
import jnr.posix.FileStat;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.SilentPosixHandler;

/**
 * The few system calls the agent makes itself (core makes the rest): reading a descriptor's open
 * flags and identity when the JDK opens a file, and the process's descriptor limit at start.
 * Through the JDK's natives ({@link JdkCalls}) once {@link #useJdk} was called, else through
 * jnr-posix (the fallback for a JDK whose internals are not as expected).
 */
public final class NativeCalls {
    /** The flags a reopen must keep: access mode, O_APPEND, O_SYNC/O_DSYNC, O_DIRECT. */
    private static final int KEPT_FLAGS = OpenFlags.O_ACCMODE | OpenFlags.O_APPEND | OpenFlags.O_SYNC
            | OpenFlags.O_DSYNC | OpenFlags.O_DIRECT;

    /** Set once at start, before any file is managed; the agent is one per JVM. */
    private static volatile boolean jdk;

    private NativeCalls() {
    }

    /** From now on, the JDK's natives (they were checked by {@link JdkCalls#load}). */
    public static void useJdk() {
        jdk = true;
    }

    /** What the agent needs to know about an open descriptor before managing it. */
    public static final class FdInfo {
        public final int flags;
        public final long dev;
        public final long ino;
        public final boolean regular;

        public FdInfo(int flags, long dev, long ino, boolean regular) {
            this.flags = flags;
            this.dev = dev;
            this.ino = ino;
            this.regular = regular;
        }
    }

    /**
     * The open flags (as the reopen must repeat them) and identity of {@code fd}; null on failure.
     *
     * @param flags the flags it was opened with when known, else -1: they are then read from
     *     {@code /proc/self/fdinfo}, which takes a descriptor for a moment (the JDK has no fcntl)
     */
    public static FdInfo inspect(int fd, int flags) {
        if (!jdk) {
            return Jnr.inspect(fd);
        }
        long[] id = JdkCalls.devIno(fd);
        if (id == null) {
            return null;
        }
        boolean regular = id[2] != 0;
        int fl = flags >= 0 || !regular ? flags : JdkCalls.openFlags(fd); // only regular files are managed
        if (fl < 0 && regular) {
            return null;
        }
        return new FdInfo(fl & KEPT_FLAGS, id[0], id[1], regular);
    }

    /** Whether {@link #inspect} with these {@code flags} opens a descriptor for a moment (/proc/self/fdinfo). */
    public static boolean flagsTakeADescriptor(int flags) {
        return jdk && flags < 0;
    }

    /**
     * The flags {@code RandomAccessFile}'s native open uses for its private {@code imode} (the same
     * in JDK 17 and 25): read-only, or read-write with O_SYNC or O_DSYNC for "rws" and "rwd"
     * ({@code O_CREAT} too, which a reopen drops).
     */
    public static int randomAccessFileFlags(int imode) {
        if ((imode & RAF_RDONLY) != 0) {
            return OpenFlags.O_RDONLY;
        }
        if ((imode & RAF_RDWR) == 0) {
            return -1; // not a mode this was written for: ask the descriptor
        }
        int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT;
        if ((imode & RAF_SYNC) != 0) {
            flags |= OpenFlags.O_SYNC;
        } else if ((imode & RAF_DSYNC) != 0) {
            flags |= OpenFlags.O_DSYNC;
        }
        return flags;
    }

    // RandomAccessFile's private mode bits.
    private static final int RAF_RDONLY = 1;
    private static final int RAF_RDWR = 2;
    private static final int RAF_SYNC = 4;
    private static final int RAF_DSYNC = 8;

    /** The device and inode of {@code fd}, as {dev, ino}; null on failure. */
    public static long[] identity(int fd) {
        if (fd < 0) {
            return null;
        }
        if (!jdk) {
            FdInfo info = Jnr.inspect(fd);
            return info == null ? null : new long[] {info.dev, info.ino};
        }
        return JdkCalls.devIno(fd);
    }

    /** The device and inode of the file {@code path} leads to, as {dev, ino}; null when none. */
    public static long[] identity(String path) {
        return jdk ? JdkCalls.devIno(path) : Jnr.identity(path);
    }

    /** The soft RLIMIT_NOFILE, from /proc/self/limits (what the JVM left after raising it). */
    public static long softNofileLimit() {
        try {
            List<String> lines = Files.readAllLines(Paths.get("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    String[] cols = line.substring("Max open files".length()).trim().split("\\s+");
                    return cols[0].equals("unlimited") ? Integer.MAX_VALUE : Long.parseLong(cols[0]);
                }
            }
        } catch (Exception e) {
            // fall through
        }
        return 1024;
    }

    /** How many descriptors the process has open now. */
    public static int openDescriptors() {
        String[] names = new File("/proc/self/fd").list();
        // listing the directory itself used one descriptor
        return names == null ? 0 : Math.max(0, names.length - 1);
    }

    /** The same calls through jnr-posix, initialized on first use (only when the JDK's are not used). */
    private static final class Jnr {
        private static final POSIX LIBC = POSIXFactory.getNativePOSIX(new SilentPosixHandler());
        private static final ThreadLocal<FileStat> STAT = ThreadLocal.withInitial(LIBC::allocateStat);

        public static FdInfo inspect(int fd) {
            int fl = LIBC.fcntl(fd, Fcntl.F_GETFL);
            if (fl < 0) {
                return null;
            }
            FileStat st = STAT.get();
            if (LIBC.fstat(fd, st) < 0) {
                return null;
            }
            return new FdInfo(fl & KEPT_FLAGS, st.dev(), st.ino(), st.isFile());
        }

        public static long[] identity(String path) {
            FileStat st = STAT.get();
            return LIBC.stat(path, st) == 0 ? new long[] {st.dev(), st.ino()} : null;
        }
    }
}
