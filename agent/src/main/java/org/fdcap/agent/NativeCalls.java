package org.fdcap.agent;

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
 */
final class NativeCalls {
    /** The flags a reopen must keep: access mode, O_APPEND, O_SYNC/O_DSYNC, O_DIRECT. */
    private static final int KEPT_FLAGS = OpenFlags.O_ACCMODE | OpenFlags.O_APPEND | OpenFlags.O_SYNC
            | OpenFlags.O_DSYNC | OpenFlags.O_DIRECT;

    private static final POSIX LIBC = POSIXFactory.getNativePOSIX(new SilentPosixHandler());
    private static final ThreadLocal<FileStat> STAT = new ThreadLocal<>();

    private NativeCalls() {
    }

    /** What the agent needs to know about an open descriptor before managing it. */
    static final class FdInfo {
        final int flags;
        final long dev;
        final long ino;
        final boolean regular;

        FdInfo(int flags, long dev, long ino, boolean regular) {
            this.flags = flags;
            this.dev = dev;
            this.ino = ino;
            this.regular = regular;
        }
    }

    /** The open flags (as the reopen must repeat them) and identity of {@code fd}; null on failure. */
    static FdInfo inspect(int fd) {
        int fl = LIBC.fcntl(fd, Fcntl.F_GETFL);
        if (fl < 0) {
            return null;
        }
        FileStat st = STAT.get();
        if (st == null) {
            st = LIBC.allocateStat();
            STAT.set(st);
        }
        if (LIBC.fstat(fd, st) < 0) {
            return null;
        }
        return new FdInfo(fl & KEPT_FLAGS, st.dev(), st.ino(), st.isFile());
    }

    /** The device and inode of {@code fd}, as {dev, ino}; null on failure. */
    static long[] identity(int fd) {
        FdInfo info = fd < 0 ? null : inspect(fd);
        return info == null ? null : new long[] {info.dev, info.ino};
    }

    /** The device and inode of the file {@code path} leads to, as {dev, ino}; null when none. */
    static long[] identity(String path) {
        FileStat st = STAT.get();
        if (st == null) {
            st = LIBC.allocateStat();
            STAT.set(st);
        }
        return LIBC.stat(path, st) == 0 ? new long[] {st.dev(), st.ino()} : null;
    }

    /** The soft RLIMIT_NOFILE, from /proc/self/limits (what the JVM left after raising it). */
    static long softNofileLimit() {
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
    static int openDescriptors() {
        String[] names = new File("/proc/self/fd").list();
        // listing the directory itself used one descriptor
        return names == null ? 0 : Math.max(0, names.length - 1);
    }
}
