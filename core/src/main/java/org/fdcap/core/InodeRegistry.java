package org.fdcap.core;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps each open file (device, inode) to the {@link Inode} its handles share, and keeps files
 * reachable when their names change: renames are followed, and a file whose last known name is
 * removed (deleted, or replaced by a rename or copy over it) is kept reachable for its handles,
 * in the unlinked-file pool or through one descriptor of the tracker's own (its anchor), for as
 * long as it has handles. Only the open, close and name-change paths take its lock;
 * acquire/release never do, and no system call that opens or closes runs under it.
 *
 * <p>The map is an open-addressing table of the inodes themselves (linear probing on device and
 * inode), so that a tracked file costs one table slot and its {@code Inode}, nothing more: the
 * registry lives as long as every handle, and there may be hundreds of thousands of them. A name
 * change costs a stat and a lookup, whatever the number of files; only the rename of a directory
 * looks at every file (for the ones under it).
 */
final class InodeRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(InodeRegistry.class);
    private static final int INITIAL_CAPACITY = 16;
    /** open(2) flags of an anchor: a reference to the inode, not opened for reading or writing. */
    static final int ANCHOR_FLAGS = OpenFlags.O_PATH | OpenFlags.O_CLOEXEC;
    /** How long a restore that finds no file waits for a name change under way to end. */
    private static final long CHANGE_WAIT_MILLIS = 5_000;

    /** Entries by (dev, id): see {@link Inode#id}; at most half full; null = free. */
    private Inode[] table = new Inode[INITIAL_CAPACITY];
    private int size;
    /**
     * Entries replaced in the table by a newer one for the same (dev, id) (see {@link #attach})
     * while they still have handles.
     */
    private final List<Inode> displaced = new ArrayList<>(0);
    private final FdTracker tracker;
    private final UnlinkedFilePool pool;
    private final SystemCalls calls;
    /** The pool directory was found unsafe (see {@link UnlinkedFilePool#checkSafe}): never used again. */
    private boolean poolRefused;

    InodeRegistry(FdTracker tracker, UnlinkedFilePool pool, SystemCalls calls) {
        this.tracker = tracker;
        this.pool = pool;
        this.calls = calls;
    }

    /** Registers a freshly opened handle on the file {@code key}, reachable at {@code path}. */
    synchronized Inode attach(FsHandle handle, InodeKey key, String path) {
        Inode inode = find(key.dev(), key.id());
        if (inode != null && !inode.unlinked() && !path.equals(inode.location) && !certainlyAlive(inode)) {
            // The entry's file may have been deleted while all its handles were suspended, and its
            // inode number given to the file just opened: sharing the entry would let those
            // handles restore onto this other file. They keep their own entry (and fail to restore
            // if their file is really gone); this file gets a new one.
            inode = null;
        }
        if (inode == null) {
            inode = new Inode(key.dev(), key.id(), path);
            Inode replaced = put(inode);
            if (replaced != null) {
                displaced.add(replaced);
            }
        } else if (!inode.unlinked() && !inode.changing()) {
            // The newest open proves this name leads to the file; an older one may be stale.
            inode.location = path;
        }
        inode.add(handle);
        return inode;
    }

    /**
     * Whether the file an entry stands for still exists, so that its inode number cannot have been
     * reused: its last known name still leads to it, or one of its handles holds a descriptor, or
     * the process holds a lock on it.
     */
    private boolean certainlyAlive(Inode inode) {
        if (inode.locked() || inode.isFile(calls.statOrNull(inode.location))) {
            return true;
        }
        for (FsHandle h : inode.handles()) {
            if (h.isOpen()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Forgets a closed handle. When it was the last one on a file kept reachable after its name was
     * removed, the pool name is deleted, or the anchor closed.
     */
    void detach(FsHandle handle) throws IOException {
        Runnable release;
        synchronized (this) {
            Inode inode = handle.inode();
            inode.remove(handle);
            if (!inode.isEmpty()) {
                return;
            }
            release = releaseReachability(inode);
            forgetIfUnused(inode);
        }
        if (release != null) {
            release.run();
        }
    }

    /**
     * The file has no handle left: what kept it reachable goes (caller holds the lock; the
     * returned action, to run without it, does the system call).
     */
    private Runnable releaseReachability(Inode inode) {
        if (inode.inPool()) {
            String name = inode.poolName();
            inode.dropReachability();
            return new Runnable() { // not a lambda: the agent's start-up warm-up comes here
                @Override
                public void run() {
                    try {
                        pool.remove(name);
                    } catch (IOException e) {
                        tracker.recordError(e);
                        LOG.warn("could not delete {} from the unlinked-file pool: {}", name, e.toString());
                    }
                }
            };
        }
        if (inode.anchored()) {
            int anchor = inode.anchorFd();
            inode.dropReachability();
            return new Runnable() {
                @Override
                public void run() {
                    tracker.closeAnchor(anchor);
                }
            };
        }
        return null;
    }

    private void forgetIfUnused(Inode inode) {
        if (inode.unused() && !remove(inode)) {
            displaced.remove(inode); // a newer entry has its key (see attach)
        }
    }

    /** Follows a rename seen at suspension time. */
    synchronized void relocate(Inode inode, String expected, String now) {
        if (!inode.unlinked() && expected.equals(inode.location)) {
            inode.location = now;
        }
    }

    /** Marks the file as never suspendable again (it was found deleted, with no anchor). */
    synchronized void keepOpen(Inode inode) {
        inode.markKeepOpen(true);
    }

    // ---- name changes the program makes ----

    /**
     * The name {@code path} is about to be removed (deleted, or replaced by a rename or copy over
     * it). When it leads to a tracked file, that file is prepared to stay reachable without the
     * name: linked into the pool, or given an anchor. Waits like an open when the anchor needs
     * room; fails only when every descriptor under the capacity is held for a lasting reason and
     * some of the file's handles are suspended (they could not be restored without the name).
     *
     * @throws TooManyOpenFilesException no room for the anchor, and nothing can be done instead;
     *     nothing changed (the caller must not remove the name)
     */
    NameChange beforeRemove(String path) throws IOException {
        Stat st = calls.statOrNull(path);
        if (st == null) {
            return NameChange.NONE;
        }
        Inode inode;
        synchronized (this) {
            inode = find(st.dev(), InodeKey.id(st.ino(), st.birth()));
            if (inode == null || inode.isEmpty() || inode.unlinked() || !inode.isFile(st)) {
                return NameChange.NONE;
            }
            inode.beginChange();
        }
        Removal removal = new Removal(inode, path);
        try {
            removal.prepare();
        } catch (IOException | RuntimeException | Error e) {
            endChange(inode);
            throw e;
        }
        return removal;
    }

    /**
     * {@code from} is about to be renamed to {@code to}: the file at {@code from}, when tracked,
     * will be reopened by its new name; the file at {@code to}, when tracked and another, loses
     * that name ({@link #beforeRemove}); files under {@code from}, when it is a directory, are
     * reopened under {@code to}.
     */
    NameChange beforeRename(String from, String to) throws IOException {
        Stat source = calls.statOrNull(from);
        Inode moving = null;
        if (source != null) {
            synchronized (this) {
                moving = find(source.dev(), InodeKey.id(source.ino(), source.birth()));
                if (moving != null && (moving.isEmpty() || moving.unlinked() || !moving.isFile(source))) {
                    moving = null;
                }
                if (moving != null) {
                    moving.beginChange();
                }
            }
        }
        NameChange replaced;
        try {
            Stat target = calls.statOrNull(to);
            replaced = target == null || sameFile(source, target) ? NameChange.NONE : beforeRemove(to);
        } catch (IOException | RuntimeException | Error e) {
            if (moving != null) {
                endChange(moving);
            }
            throw e;
        }
        boolean directory = source != null && moving == null && new File(from).isDirectory();
        return new Rename(moving, from, to, directory, replaced);
    }

    private static boolean sameFile(Stat a, Stat b) {
        return a != null && b != null && a.dev() == b.dev() && a.ino() == b.ino() && a.birth() == b.birth();
    }

    private void endChange(Inode inode) {
        List<FsHandle> requeue;
        synchronized (this) {
            inode.endChange();
            forgetIfUnused(inode);
            notifyAll();
            requeue = inode.suspensionBlocked() ? null : inode.handles();
        }
        if (requeue != null) {
            for (FsHandle h : requeue) {
                h.requeueIfOpen();
            }
        }
    }

    /** A rename of a tracked file, of a directory, or over a tracked file (see {@link #beforeRename}). */
    private final class Rename implements NameChange {
        private final Inode moving;
        private final String from;
        private final String to;
        private final boolean directory;
        private final NameChange replaced;

        Rename(Inode moving, String from, String to, boolean directory, NameChange replaced) {
            this.moving = moving;
            this.from = from;
            this.to = to;
            this.directory = directory;
            this.replaced = replaced;
        }

        @Override
        public void done() {
            try {
                if (moving != null) {
                    if (moving.isFile(calls.statOrNull(to))) {
                        synchronized (InodeRegistry.this) {
                            if (!moving.unlinked() && from.equals(moving.location)) {
                                moving.location = to;
                            }
                        }
                    }
                } else if (directory && !new File(from).exists() && new File(to).isDirectory()) {
                    relocateTree(from + "/", to + "/");
                }
            } finally {
                replaced.done();
                if (moving != null) {
                    endChange(moving);
                }
            }
        }
    }

    /** A directory was renamed: every file reopened through it is reopened through its new name. */
    private synchronized void relocateTree(String fromPrefix, String toPrefix) {
        Consumer<Inode> move = inode -> {
            String at = inode.location;
            if (!inode.unlinked() && at.startsWith(fromPrefix)) {
                inode.location = toPrefix + at.substring(fromPrefix.length());
            }
        };
        for (Inode inode : table) {
            if (inode != null) {
                move.accept(inode);
            }
        }
        displaced.forEach(move);
    }

    /**
     * A name of a tracked file about to be removed: what keeps the file reachable is prepared
     * before, and taken into use (or undone) after, by looking at what the name leads to then.
     */
    private final class Removal implements NameChange {
        private final Inode inode;
        private final String path;
        /** The pool name linked to the file, or null. */
        private String poolName;
        /** The anchor opened for the file, or -1. */
        private int anchor = -1;
        /** Neither could be had: every handle is open, and they are kept open instead. */
        private boolean keepOpen;

        Removal(Inode inode, String path) {
            this.inode = inode;
            this.path = path;
        }

        void prepare() throws IOException {
            if (pool != null && !poolRefused()) {
                try {
                    poolName = pool.link(path, inode);
                    return;
                } catch (UnlinkedFilePool.UnsafePoolException unsafe) {
                    refusePool(unsafe);
                } catch (IOException e) {
                    // Another filesystem (EXDEV), a full disk, permissions: an anchor instead.
                    LOG.debug("not in the unlinked-file pool ({}): {}", e.toString(), path);
                }
            }
            try {
                anchor = tracker.openAnchor(path, inode);
            } catch (TooManyOpenFilesException full) {
                if (!everyHandleOpen(inode) || tracker.stats().deleted() + tracker.stats().anchors()
                        >= Math.max(1, tracker.capacity() / 2)) {
                    throw full;
                }
                keepOpen = true; // no room for one more descriptor, but none is needed now
            }
        }

        @Override
        public void done() {
            Runnable undo = null;
            try {
                boolean removed = !inode.isFile(calls.statOrNull(path));
                synchronized (InodeRegistry.this) {
                    if (!removed || inode.unlinked() || inode.isEmpty()) {
                        undo = this::undo; // still there, gone by another change, or no handle left
                    } else if (poolName != null) {
                        inode.markUnlinked(pool.dir().resolve(poolName).toString(), true);
                    } else if (anchor >= 0) {
                        inode.markUnlinked(Inode.PROC_FD + anchor, false);
                    } else if (keepOpen) {
                        inode.markKeepOpen(true);
                        LOG.debug("{} was removed with no room for an anchor: its handles stay open", path);
                    }
                }
            } catch (RuntimeException | Error e) {
                undo = this::undo;
                throw e;
            } finally {
                if (undo != null) {
                    undo.run();
                }
                endChange(inode);
            }
        }

        private void undo() {
            if (poolName != null) {
                try {
                    pool.remove(poolName);
                } catch (IOException e) {
                    tracker.recordError(e);
                    LOG.warn("could not delete {} from the unlinked-file pool: {}", poolName, e.toString());
                }
            } else if (anchor >= 0) {
                tracker.closeAnchor(anchor);
            }
        }
    }

    private static boolean everyHandleOpen(Inode inode) {
        for (FsHandle h : inode.handles()) {
            if (!h.isOpen()) {
                return false;
            }
        }
        return true;
    }

    private synchronized boolean poolRefused() {
        return poolRefused;
    }

    private synchronized void refusePool(UnlinkedFilePool.UnsafePoolException unsafe) {
        if (!poolRefused) {
            poolRefused = true;
            LOG.warn("{}; not using it: deleted files are kept through a descriptor of their own instead",
                    unsafe.getMessage());
        }
    }

    /**
     * Unlinks the file of {@code handle} (the tracker's own unlink, for library users): the name
     * goes at once; the data stays reachable for every handle on it until the last is closed.
     */
    void unlink(FsHandle handle) throws IOException {
        Inode inode = handle.inode();
        synchronized (this) {
            if (inode.unlinked()) {
                throw new NoSuchFileException(inode.location, null, "already unlinked");
            }
            inode.beginChange();
        }
        String path = inode.location;
        Removal removal = new Removal(inode, path);
        boolean prepared = false;
        try {
            checkStillThere(inode, path);
            removal.prepare();
            prepared = true;
            calls.unlink(path);
        } finally {
            if (prepared) {
                removal.done(); // looks at the name: undoes what was prepared if it is still there
            } else {
                endChange(inode);
            }
        }
    }

    /**
     * Refuses to unlink by a name that no longer leads to the file (renamed since it was opened,
     * perhaps with another file now in its place).
     */
    private void checkStillThere(Inode inode, String path) throws IOException {
        if (!inode.isFile(calls.statOrNull(path))) {
            throw new FileSystemException(path, null,
                    "no longer leads to the file opened (renamed or replaced); nothing was unlinked");
        }
    }

    // ---- locks ----

    /** The process took a lock on the file {@code st} (at {@code path}): see {@link LockHold}. */
    LockHold lockTaken(Stat st, String path) {
        Inode inode;
        synchronized (this) {
            InodeKey key = st.key();
            inode = find(key.dev(), key.id());
            if (inode == null || !inode.isFile(st)) {
                inode = new Inode(key.dev(), key.id(), path);
                Inode replaced = put(inode);
                if (replaced != null) {
                    displaced.add(replaced);
                }
            }
            inode.addLock();
        }
        Inode locked = inode;
        return new LockHold() {
            private boolean released;

            @Override
            public void release() {
                List<FsHandle> requeue;
                synchronized (InodeRegistry.this) {
                    if (released) {
                        return;
                    }
                    released = true;
                    locked.removeLock();
                    forgetIfUnused(locked);
                    requeue = locked.suspensionBlocked() ? null : locked.handles();
                }
                if (requeue != null) {
                    for (FsHandle h : requeue) {
                        h.requeueIfOpen();
                    }
                }
            }
        };
    }

    // ---- restore support ----

    /**
     * A restore found no file (or another file) at {@code location}: when a name change is under
     * way on the file, waits for it to end. Returns whether the caller should look again (a change
     * was under way, or the location changed since it looked).
     */
    synchronized boolean awaitNameChange(Inode inode, String location) {
        long deadline = System.nanoTime() + CHANGE_WAIT_MILLIS * 1_000_000L;
        boolean waited = false;
        while (inode.changing()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            waited = true;
            try {
                wait(Math.min(left, 50));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // file I/O is not interruptible: keep it for the caller
                break;
            }
        }
        return waited || !location.equals(inode.location);
    }

    /**
     * Reopens the file of {@code handle} through another descriptor of it that is open now (a
     * handle of the same file), for a file whose name no longer leads to it: {@code
     * /proc/self/fd/N} of an open descriptor is the file itself, wherever its names went. Returns
     * the new descriptor, checked to be the same file, or -1 when there is none to go through.
     */
    int reopenThroughSibling(FsHandle handle, int flags) {
        List<FsHandle> others;
        Inode inode = handle.inode();
        synchronized (this) {
            others = inode.handles();
        }
        for (FsHandle other : others) {
            int fd = other != handle ? other.fdIfOpen() : -1;
            if (fd < 0) {
                continue;
            }
            int nfd;
            try {
                nfd = tracker.openWithRetry(Inode.PROC_FD + fd, flags, 0);
            } catch (IOException e) {
                continue; // closed meanwhile
            }
            try {
                // The number may have been closed and reused for another file meanwhile.
                if (inode.isFile(calls.fstat(nfd, inode.location))) {
                    return nfd;
                }
            } catch (IOException e) {
                // fall through: close it and try another
            }
            tracker.closeQuietly(nfd);
        }
        return -1;
    }

    /** Calls {@code action} on every handle of every file, under the registry's lock. */
    synchronized void forEachHandle(Consumer<FsHandle> action) {
        for (Inode inode : table) {
            if (inode != null) {
                inode.handles().forEach(action);
            }
        }
        for (Inode inode : displaced) {
            inode.handles().forEach(action);
        }
    }

    /** Calls {@code action} on every file, under the registry's lock. */
    synchronized void forEachInode(Consumer<Inode> action) {
        for (Inode inode : table) {
            if (inode != null) {
                action.accept(inode);
            }
        }
        displaced.forEach(action);
    }

    // ---- the table (callers hold the lock) ----

    private static int slot(long dev, long id, int mask) {
        long h = (id ^ (dev * 0x9E3779B97F4A7C15L)) * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private Inode find(long dev, long id) {
        Inode[] t = table;
        int mask = t.length - 1;
        for (int i = slot(dev, id, mask);; i = (i + 1) & mask) {
            Inode e = t[i];
            if (e == null || (e.dev == dev && e.id == id)) {
                return e;
            }
        }
    }

    /** Puts {@code inode} in the table; returns the entry it replaced (same dev and id), if any. */
    private Inode put(Inode inode) {
        if ((size + 1) * 2 > table.length) {
            resize(table.length * 2);
        }
        Inode[] t = table;
        int mask = t.length - 1;
        for (int i = slot(inode.dev, inode.id, mask);; i = (i + 1) & mask) {
            Inode e = t[i];
            if (e == null) {
                t[i] = inode;
                size++;
                return null;
            }
            if (e.dev == inode.dev && e.id == inode.id) {
                t[i] = inode;
                return e;
            }
        }
    }

    /** Removes exactly {@code inode} (not another entry with its key); false when it is not in the table. */
    private boolean remove(Inode inode) {
        Inode[] t = table;
        int mask = t.length - 1;
        int i = slot(inode.dev, inode.id, mask);
        while (t[i] != inode) {
            if (t[i] == null) {
                return false;
            }
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: move later entries of the probe run into the gap, so that
        // lookups never stop early at it.
        t[i] = null;
        size--;
        for (int j = (i + 1) & mask; t[j] != null; j = (j + 1) & mask) {
            int home = slot(t[j].dev, t[j].id, mask);
            boolean reachable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (reachable) {
                t[i] = t[j];
                t[j] = null;
                i = j;
            }
        }
        return true;
    }

    private void resize(int capacity) {
        Inode[] old = table;
        table = new Inode[capacity];
        size = 0;
        for (Inode e : old) {
            if (e != null) {
                put(e);
            }
        }
    }
}
