package org.fdcap.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the tracker needs to know of a file from {@code stat(2)}/{@code statx(2)}: its identity
 * (device, inode and birth time, see {@link SystemCalls#fstat}), its type, link count and size.
 *
 * @param dev the device, encoded as {@code st_dev} ({@code makedev(major, minor)} of the C library)
 * @param ino the inode number
 * @param mode {@code st_mode}: the file's type ({@code S_IFMT} bits) and permissions
 * @param nlink the number of names the file has (0: deleted while open)
 * @param size the size in bytes
 * @param birth the birth time in nanoseconds since the epoch, or 0 where unknown
 */
public record Stat(long dev, long ino, int mode, int nlink, long size, long birth) {
    /**
     * The {@code mask} to give {@code statx(2)} for {@link #ofStatx}: type and mode, link count,
     * inode number, size and birth time (the device always comes).
     */
    public static final int STATX_MASK = 0x1 | 0x2 | 0x4 | 0x100 | 0x200 | 0x800;
    /** The size of {@code struct statx}, the buffer {@code statx(2)} fills. */
    public static final int STATX_SIZE = 256;

    private static final int STATX_BTIME = 0x800;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    // Offsets in struct statx (linux/stat.h), fixed by the kernel's ABI.
    private static final int OFF_MASK = 0;
    private static final int OFF_NLINK = 16;
    private static final int OFF_MODE = 28;
    private static final int OFF_INO = 32;
    private static final int OFF_SIZE = 40;
    private static final int OFF_BTIME_SEC = 80;
    private static final int OFF_BTIME_NSEC = 88;
    private static final int OFF_DEV_MAJOR = 136;
    private static final int OFF_DEV_MINOR = 140;

    /**
     * Reads a {@code struct statx} that {@code statx(2)} filled with {@link #STATX_MASK}, from
     * index 0 of {@code buf} (its position and order do not matter; the struct is in the
     * machine's order). The birth time is 0 when the filesystem does not record it.
     */
    public static Stat ofStatx(ByteBuffer buf) {
        // Absolute reads leave the caller's buffer as it was; only another order needs a view.
        ByteBuffer b = buf.order() == ByteOrder.nativeOrder() ? buf : buf.duplicate().order(ByteOrder.nativeOrder());
        long birth = 0;
        if ((b.getInt(OFF_MASK) & STATX_BTIME) != 0) {
            birth = b.getLong(OFF_BTIME_SEC) * 1_000_000_000L + (b.getInt(OFF_BTIME_NSEC) & 0xffffffffL);
        }
        long dev = makedev(b.getInt(OFF_DEV_MAJOR) & 0xffffffffL, b.getInt(OFF_DEV_MINOR) & 0xffffffffL);
        int mode = b.getShort(OFF_MODE) & 0xffff;
        return new Stat(dev, b.getLong(OFF_INO), mode, b.getInt(OFF_NLINK), b.getLong(OFF_SIZE), birth);
    }

    /** Whether this is a regular file ({@code S_ISREG}): not a directory, device, pipe or socket. */
    public boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    /**
     * The C library's {@code makedev}: how {@code st_dev} encodes a device's major and minor
     * numbers (statx, {@code /proc} and {@code stat} then give one number for one device).
     */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12)
                | (minor & 0xffL);
    }

    InodeKey key() {
        return new InodeKey(dev, ino, birth);
    }
}
