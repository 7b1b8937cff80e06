package org.fdcap.core;

/**
 * What the tracker needs to know of a file from {@code stat(2)}/{@code statx(2)}: its identity
 * (device, inode and birth time, see {@link SystemCalls#fstat}) and its link count and size.
 *
 * @param dev the device, encoded as {@code st_dev} ({@code makedev(major, minor)} of the C library)
 * @param ino the inode number
 * @param nlink the number of names the file has (0: deleted while open)
 * @param size the size in bytes
 * @param birth the birth time in nanoseconds since the epoch, or 0 where unknown
 */
public record Stat(long dev, long ino, int nlink, long size, long birth) {
    InodeKey key() {
        return new InodeKey(dev, ino, birth);
    }
}
