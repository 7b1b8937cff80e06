package org.fdcap.core;

import java.util.ArrayList;
import java.util.List;

/**
 * What the handles on one file share: where the file can be reopened from, and whether it was
 * unlinked. Every field is guarded by the {@link InodeRegistry}'s lock, except {@link #location}
 * and {@link #keepOpen}, which the suspend and restore paths read without it.
 *
 * <p>Kept small (it is per open file, 40 bytes): the identity inline (inode and birth time folded
 * into one number) rather than an {@link InodeKey}, the usual single handle in place of a list, and no pool name of its own (it is
 * the last element of {@link #location} once the file is in the pool).
 */
final class Inode {
    final long dev;
    /** The inode number folded with the birth time ({@link InodeKey#id()}). */
    final long id;
    /** The path a suspended handle on this file reopens: the last known name, or its pool name. */
    volatile String location;
    /**
     * Set when the file must never be suspended again: it was unlinked with no pool to move it
     * to, or was found deleted. Its handles stay open until closed.
     */
    volatile boolean keepOpen;
    boolean unlinkPending;
    /** The file was moved into the unlinked-file pool: {@link #location} is its pool path. */
    boolean inPool;
    /** The handles on the file: null, one {@link FsHandle}, or a {@code List} of two or more. */
    private Object handles;

    Inode(long dev, long id, String location) {
        this.dev = dev;
        this.id = id;
        this.location = location;
    }

    /** For messages: device and inode (folded with the birth time where known). */
    String identity() {
        return dev + ":" + id;
    }

    /** Whether {@code st} describes this file (same device, inode and birth time). */
    boolean isFile(Stat st) {
        return st != null && st.dev() == dev && InodeKey.id(st.ino(), st.birth()) == id;
    }

    /** The file's name in the unlinked-file pool, or null when it is not there. */
    String poolName() {
        return inPool ? location.substring(location.lastIndexOf('/') + 1) : null;
    }

    void add(FsHandle h) {
        Object hs = handles;
        if (hs == null) {
            handles = h;
        } else if (hs instanceof FsHandle) {
            List<FsHandle> list = new ArrayList<>(2);
            list.add((FsHandle) hs);
            list.add(h);
            handles = list;
        } else {
            list(hs).add(h);
        }
    }

    void remove(FsHandle h) {
        Object hs = handles;
        if (hs == h) {
            handles = null;
        } else if (hs instanceof List) {
            List<FsHandle> list = list(hs);
            list.remove(h);
            if (list.size() == 1) {
                handles = list.get(0);
            } else if (list.isEmpty()) {
                handles = null;
            }
        }
    }

    boolean isEmpty() {
        return handles == null;
    }

    /** A snapshot of the handles on this file. */
    List<FsHandle> handles() {
        Object hs = handles;
        if (hs == null) {
            return new ArrayList<>(0);
        }
        if (hs instanceof FsHandle) {
            List<FsHandle> one = new ArrayList<>(1);
            one.add((FsHandle) hs);
            return one;
        }
        return new ArrayList<>(list(hs));
    }

    @SuppressWarnings("unchecked")
    private static List<FsHandle> list(Object hs) {
        return (List<FsHandle>) hs;
    }
}
