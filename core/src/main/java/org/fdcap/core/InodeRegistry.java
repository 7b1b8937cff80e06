package org.fdcap.core;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps each open file (device, inode) to the {@link Inode} its handles share, and carries out
 * unlinks. Only the open, close and unlink paths take its lock; acquire/release never do.
 *
 * <p>The map is an open-addressing table of the inodes themselves (linear probing on device and
 * inode), so that a tracked file costs one table slot and its {@code Inode}, nothing more: the
 * registry lives as long as every handle, and there may be hundreds of thousands of them.
 */
final class InodeRegistry {
    private static final int INITIAL_CAPACITY = 16;

    /** Entries by (dev, id): see {@link Inode#id}; at most half full; null = free. */
    private Inode[] table = new Inode[INITIAL_CAPACITY];
    private int size;
    /**
     * Entries replaced in the table by a newer one for the same (dev, id) (see {@link #attach})
     * while they still have handles.
     */
    private final List<Inode> displaced = new ArrayList<>(0);
    private static final Logger LOG = LoggerFactory.getLogger(InodeRegistry.class);
    private final UnlinkedFilePool pool;
    private final SystemCalls calls;
    /** The pool directory was found unsafe (see {@link UnlinkedFilePool#checkSafe}): never used again. */
    private boolean poolRefused;

    InodeRegistry(UnlinkedFilePool pool, SystemCalls calls) {
        this.pool = pool;
        this.calls = calls;
    }

    /** Registers a freshly opened handle on the file {@code key}, reachable at {@code path}. */
    synchronized Inode attach(FsHandle handle, InodeKey key, String path) {
        Inode inode = find(key.dev(), key.id());
        if (inode != null && !inode.unlinkPending && !path.equals(inode.location) && !certainlyAlive(inode)) {
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
        } else if (!inode.unlinkPending) {
            // The newest open proves this name leads to the file; an older one may be stale.
            inode.location = path;
        }
        inode.add(handle);
        return inode;
    }

    /**
     * Whether the file an entry stands for still exists, so that its inode number cannot have been
     * reused: its last known name still leads to it, or one of its handles holds a descriptor.
     */
    private boolean certainlyAlive(Inode inode) {
        if (inode.isFile(calls.statOrNull(inode.location))) {
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
     * Forgets a closed handle. When it was the last one on an unlinked file in the pool, the
     * file is deleted for real.
     */
    void detach(FsHandle handle) throws IOException {
        String poolName = null;
        synchronized (this) {
            Inode inode = handle.inode();
            inode.remove(handle);
            if (!inode.isEmpty()) {
                return;
            }
            if (!remove(inode)) {
                displaced.remove(inode); // a newer entry has its key (see attach)
            }
            if (inode.unlinkPending && inode.inPool) {
                poolName = inode.poolName();
                pool.remove(poolName);
            }
        }
    }

    /** Follows a rename seen at suspension time. */
    synchronized void relocate(Inode inode, String expected, String now) {
        if (!inode.unlinkPending && expected.equals(inode.location)) {
            inode.location = now;
        }
    }

    /** Marks the file as never suspendable again (it was found deleted). */
    void keepOpen(Inode inode) {
        inode.keepOpen = true;
    }

    /**
     * Unlinks the file of {@code handle}: its name disappears now, its data stays until the last
     * handle on it is closed. With a pool the file moves there; without one every handle on it is
     * restored and kept open from now on.
     */
    void unlink(FsHandle handle) throws IOException {
        Inode inode = handle.inode();
        List<FsHandle> others;
        synchronized (this) {
            if (inode.unlinkPending) {
                throw new NoSuchFileException(inode.location, null, "already unlinked");
            }
            if (pool != null && !poolRefused) {
                try {
                    String name = pool.adopt(inode.location, inode);
                    inode.location = pool.dir().resolve(name).toString();
                    inode.inPool = true;
                    inode.unlinkPending = true;
                    return;
                } catch (UnlinkedFilePool.UnsafePoolException unsafe) {
                    // Safe outcome: work as without a pool (the handles are kept open instead).
                    poolRefused = true;
                    LOG.warn("{}; not using it: unlinked files are kept open instead", unsafe.getMessage());
                }
            }
            inode.keepOpen = true;
            others = inode.handles();
        }
        // No pool: nothing could reopen the file once its name is gone, so bring every handle
        // back and keep it. From here on no suspension can start (keepOpen is set); acquire()
        // waits out any that is under way and restores what it left.
        boolean settled = false;
        try {
            for (FsHandle h : others) {
                h.acquire();
                h.release();
            }
            synchronized (this) {
                if (inode.unlinkPending) {
                    settled = true; // unlinked meanwhile through another handle: keep them open
                    throw new NoSuchFileException(inode.location, null, "already unlinked");
                }
                checkStillThere(inode);
                calls.unlink(inode.location);
                inode.unlinkPending = true;
                settled = true;
            }
        } finally {
            if (!settled) {
                // Nothing was unlinked: the handles may be suspended again, as before.
                synchronized (this) {
                    inode.keepOpen = false;
                }
                for (FsHandle h : others) {
                    h.requeueIfOpen();
                }
            }
        }
    }

    /**
     * Refuses to unlink by a name that no longer leads to the file (renamed since it was opened,
     * perhaps with another file now in its place).
     */
    private void checkStillThere(Inode inode) throws IOException {
        if (!inode.isFile(calls.statOrNull(inode.location))) {
            throw new FileSystemException(inode.location, null,
                    "no longer leads to the file opened (renamed or replaced); nothing was unlinked");
        }
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
