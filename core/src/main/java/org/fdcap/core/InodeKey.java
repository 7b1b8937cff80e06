package org.fdcap.core;

/**
 * A file's identity on this machine: its device and inode numbers, and its birth time in
 * nanoseconds since the epoch (0 where the filesystem or the system does not report it), which
 * tells a file from a later one given the same inode number.
 */
record InodeKey(long dev, long ino, long birth) {
    /** The inode number and birth time folded into one number, as {@link Inode} keeps them. */
    long id() {
        return id(ino, birth);
    }

    /**
     * {@code ino} itself when the birth time is unknown; else {@code ino} mixed with the birth
     * time, so that two files with one inode number differ (a false match needs a 64-bit collision).
     */
    static long id(long ino, long birth) {
        return birth == 0 ? ino : ino ^ (birth * 0x9E3779B97F4A7C15L);
    }

    @Override
    public String toString() {
        return dev + ":" + ino + (birth == 0 ? "" : " born " + java.time.Instant.ofEpochSecond(0, birth));
    }
}
