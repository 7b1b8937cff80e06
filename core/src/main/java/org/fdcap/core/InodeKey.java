package org.fdcap.core;

/** A file's identity on this machine: its device and inode numbers. */
record InodeKey(long dev, long ino) {
    @Override
    public String toString() {
        return dev + ":" + ino;
    }
}
