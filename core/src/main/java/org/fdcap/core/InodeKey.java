package org.fdcap.core;

/**
 * A file's identity on this machine: its device and inode numbers, and its birth time in
 * nanoseconds since the epoch (0 where the filesystem or the system does not report it), which
 * tells a file from a later one given the same inode number.
 */
record InodeKey(long dev, long ino, long birth) {
    @Override
    public String toString() {
        return dev + ":" + ino + (birth == 0 ? "" : " born " + java.time.Instant.ofEpochSecond(0, birth));
    }
}
