package org.fdcap.agent.jdk;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.Stat;
import org.fdcap.core.SystemCalls;

/**
 * The few system calls the agent makes itself (the tracker makes the rest): reading a
 * descriptor's open flags and identity when the JDK opens a file, and the process's descriptor
 * limit at start. Through the {@link SystemCalls} the installer chose for the tracker
 * ({@link #use}): the JDK's natives ({@link JdkCalls}), or jnr-posix where those are not as
 * expected.
 */
public final class NativeCalls {
    /** The flags a reopen must keep: access mode, O_APPEND, O_SYNC/O_DSYNC, O_DIRECT. */
    private static final int KEPT_FLAGS = OpenFlags.O_ACCMODE | OpenFlags.O_APPEND | OpenFlags.O_SYNC
            | OpenFlags.O_DSYNC | OpenFlags.O_DIRECT;

    /** Set once at start, before any file is managed; the agent is one per JVM. */
    private static volatile SystemCalls calls;

    private NativeCalls() {
    }

    /** From now on, {@code chosen}: the tracker's own system calls (the installer's choice). */
    public static void use(SystemCalls chosen) {
        calls = chosen;
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
     * @param flags the flags it was opened with when known, else -1: they are then read from the
     *     descriptor ({@link SystemCalls#openFlags}), which may take a descriptor for a moment
     *     ({@link #flagsTakeADescriptor})
     */
    public static FdInfo inspect(int fd, int flags) {
        SystemCalls sys = calls;
        Stat st = sys.fstatOrNull(fd);
        if (st == null) {
            return null;
        }
        boolean regular = st.isRegularFile();
        int fl = flags >= 0 || !regular ? flags : sys.openFlags(fd); // only regular files are managed
        if (fl < 0 && regular) {
            return null;
        }
        return new FdInfo(fl & KEPT_FLAGS, st.dev(), st.ino(), regular);
    }

    /** Whether {@link #inspect} with these {@code flags} opens a descriptor for a moment ({@link SystemCalls#openFlagsTakeADescriptor}). */
    public static boolean flagsTakeADescriptor(int flags) {
        return flags < 0 && calls.openFlagsTakeADescriptor();
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

    /**
     * The flags {@code UnixChannelFactory} opens a channel with for {@code options}, the {@code Set}
     * of open options it was given: the JDK's rules, which {@link OpenFlags#fromOptions} follows
     * (no {@code WRITE} or {@code APPEND} is read-only, {@code APPEND} implies {@code WRITE},
     * {@code SYNC} and {@code DSYNC} apply to reads too). -1 when they cannot be told from the
     * options (none given, or one that rule does not cover: {@code ExtendedOpenOption.DIRECT},
     * {@code DELETE_ON_CLOSE}): the caller then reads them from the descriptor. Spares every
     * channel open the three system calls of {@link SystemCalls#openFlags}.
     */
    public static int channelFlags(Object options) {
        if (!(options instanceof Set)) {
            return -1;
        }
        try {
            @SuppressWarnings("unchecked")
            Set<? extends OpenOption> set = (Set<? extends OpenOption>) options;
            return OpenFlags.fromOptions(set);
        } catch (RuntimeException notForThisRule) { // IllegalArgumentException; anything a Set may throw
            return -1;
        }
    }

    // RandomAccessFile's private mode bits.
    private static final int RAF_RDONLY = 1;
    private static final int RAF_RDWR = 2;
    private static final int RAF_SYNC = 4;
    private static final int RAF_DSYNC = 8;

    /** The device and inode of {@code fd}, as {dev, ino}; null on failure. */
    public static long[] identity(int fd) {
        Stat st = fd < 0 ? null : calls.fstatOrNull(fd);
        return st == null ? null : new long[] {st.dev(), st.ino()};
    }

    /** The device and inode of the file {@code path} leads to, as {dev, ino}; null when none. */
    public static long[] identity(String path) {
        Stat st = calls.statOrNull(path);
        return st == null ? null : new long[] {st.dev(), st.ino()};
    }

    /** The soft RLIMIT_NOFILE, from /proc/self/limits (what the JVM left after raising it). */
    public static long softNofileLimit() {
        try {
            List<String> lines = Files.readAllLines(Paths.get("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    // The first column, the soft limit (not split("\\s+"): a regex compiled at start).
                    String cols = line.substring("Max open files".length()).trim();
                    int end = 0;
                    while (end < cols.length() && !Character.isWhitespace(cols.charAt(end))) {
                        end++;
                    }
                    String soft = cols.substring(0, end);
                    return soft.equals("unlimited") ? Integer.MAX_VALUE : Long.parseLong(soft);
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
}
