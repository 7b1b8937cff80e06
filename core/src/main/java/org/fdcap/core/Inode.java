package org.fdcap.core;

import java.util.ArrayList;
import java.util.List;

/**
 * What the handles on one file share: where the file can be reopened from, and what stands in
 * the way of suspending its descriptors. Changed only under the {@link InodeRegistry}'s lock;
 * {@link #location} and the state word are read without it by the suspend and restore paths.
 *
 * <p>Kept small (it is per open file, 40 bytes): the identity inline (inode and birth time folded
 * into one number) rather than an {@link InodeKey}, the usual single handle in place of a list,
 * every flag and count in one word, and no pool name or anchor of its own: once the file is in
 * the pool its name there is the last element of {@link #location}, and once it is anchored
 * {@link #location} is the anchor's {@code /proc/self/fd/N}.
 */
final class Inode {
    /** Where a deleted file's anchor is reopened through: the magic link of its descriptor. */
    static final String PROC_FD = "/proc/self/fd/";

    /** The file must never be suspended again: it was found deleted with no anchor to reopen it by. */
    private static final int KEEP_OPEN = 1;
    /** Its last name is gone (deleted or replaced by the program): {@link #location} is the pool or the anchor. */
    private static final int UNLINKED = 1 << 1;
    /** Unlinked into the unlinked-file pool: {@link #location} is its pool path. */
    private static final int IN_POOL = 1 << 2;
    /** Unlinked and anchored: {@link #location} is {@code /proc/self/fd/<anchor>}, a descriptor of the tracker's. */
    private static final int ANCHORED = 1 << 3;
    private static final int LOCKS_SHIFT = 8;
    private static final int LOCKS_MASK = 0xfff << LOCKS_SHIFT;
    private static final int CHANGES_SHIFT = 20;
    private static final int CHANGE = 1 << CHANGES_SHIFT;
    private static final int CHANGES_MASK = -CHANGE;

    final long dev;
    /** The inode number folded with the birth time ({@link InodeKey#id()}). */
    final long id;
    /** The path a suspended handle on this file reopens: the last known name, its pool name, or its anchor. */
    volatile String location;
    /**
     * [name changes under way: 12 bits][locks held by the process: 12 bits][flags: 8 bits]. A
     * change under way (a delete or rename the program is making) makes a restore that finds no
     * file wait for it; a lock held keeps every descriptor open.
     */
    private volatile int state;
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

    // ---- state (written under the registry's lock) ----

    /**
     * Whether no descriptor of the file may be suspended now: it must stay open (found deleted
     * with no anchor), or a lock is held on it. (During a name change a suspension goes on as
     * usual while the name leads to the file, and is refused when it no longer does.)
     */
    boolean suspensionBlocked() {
        return (state & (KEEP_OPEN | LOCKS_MASK)) != 0;
    }

    /** Whether its descriptors are held open for a lasting reason (kept open, or locked). */
    boolean heldOpen() {
        return (state & (KEEP_OPEN | LOCKS_MASK)) != 0;
    }

    boolean keepOpen() {
        return (state & KEEP_OPEN) != 0;
    }

    boolean locked() {
        return (state & LOCKS_MASK) != 0;
    }

    boolean unlinked() {
        return (state & UNLINKED) != 0;
    }

    boolean inPool() {
        return (state & IN_POOL) != 0;
    }

    boolean anchored() {
        return (state & ANCHORED) != 0;
    }

    boolean changing() {
        return (state & CHANGES_MASK) != 0;
    }

    /** The tracker's own descriptor that keeps the deleted file reachable, or -1. */
    int anchorFd() {
        return anchored() ? Integer.parseInt(location.substring(PROC_FD.length())) : -1;
    }

    /** The file's name in the unlinked-file pool, or null when it is not there. */
    String poolName() {
        return inPool() ? location.substring(location.lastIndexOf('/') + 1) : null;
    }

    void markKeepOpen(boolean on) {
        state = on ? state | KEEP_OPEN : state & ~KEEP_OPEN;
    }

    /** The file lost its last known name; from now on it is reopened from {@code where}. */
    void markUnlinked(String where, boolean inPool) {
        location = where;
        state |= UNLINKED | (inPool ? IN_POOL : ANCHORED);
    }

    /** The anchor (or pool name) was given up: the file can no longer be reopened. */
    void dropReachability() {
        state &= ~(IN_POOL | ANCHORED);
    }

    void addLock() {
        if ((state & LOCKS_MASK) == LOCKS_MASK) {
            throw new IllegalStateException("more than " + (LOCKS_MASK >>> LOCKS_SHIFT) + " locks on " + location);
        }
        state += 1 << LOCKS_SHIFT;
    }

    void removeLock() {
        if ((state & LOCKS_MASK) != 0) {
            state -= 1 << LOCKS_SHIFT;
        }
    }

    void beginChange() {
        if ((state >>> CHANGES_SHIFT) == 0xfff) {
            throw new IllegalStateException("too many name changes under way on " + location);
        }
        state += CHANGE;
    }

    void endChange() {
        if (changing()) {
            state -= CHANGE;
        }
    }

    /** Whether the registry may forget it: no handle, no lock, no change under way. */
    boolean unused() {
        return handles == null && (state & (LOCKS_MASK | CHANGES_MASK)) == 0;
    }

    // ---- handles (under the registry's lock) ----

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
