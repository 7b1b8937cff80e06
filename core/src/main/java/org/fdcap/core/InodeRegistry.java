package org.fdcap.core;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps each open file (device, inode) to the {@link Inode} its handles share, and carries out
 * unlinks. Only the open, close and unlink paths take its lock; acquire/release never do.
 */
final class InodeRegistry {
    private final Map<InodeKey, Inode> inodes = new HashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(InodeRegistry.class);
    private final UnlinkedFilePool pool;
    /** The pool directory was found unsafe (see {@link UnlinkedFilePool#checkSafe}): never used again. */
    private boolean poolRefused;

    InodeRegistry(UnlinkedFilePool pool) {
        this.pool = pool;
    }

    /** Registers a freshly opened handle on the file {@code key}, reachable at {@code path}. */
    synchronized Inode attach(FsHandle handle, InodeKey key, String path) {
        Inode inode = inodes.get(key);
        if (inode != null && !inode.unlinkPending && !path.equals(inode.location) && !certainlyAlive(inode)) {
            // The entry's file may have been deleted while all its handles were suspended, and its
            // inode number given to the file just opened: sharing the entry would let those
            // handles restore onto this other file. They keep their own entry (and fail to restore
            // if their file is really gone); this file gets a new one.
            inode = null;
        }
        if (inode == null) {
            inode = new Inode(key, path);
            inodes.put(key, inode);
        } else if (!inode.unlinkPending) {
            // The newest open proves this name leads to the file; an older one may be stale.
            inode.location = path;
        }
        inode.handles.add(handle);
        return inode;
    }

    /**
     * Whether the file an entry stands for still exists, so that its inode number cannot have been
     * reused: its last known name still leads to it, or one of its handles holds a descriptor.
     */
    private static boolean certainlyAlive(Inode inode) {
        Posix.Stat st = Posix.statOrNull(inode.location);
        if (st != null && st.key().equals(inode.key)) {
            return true;
        }
        for (FsHandle h : inode.handles) {
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
            inode.handles.remove(handle);
            if (!inode.handles.isEmpty()) {
                return;
            }
            inodes.remove(inode.key, inode); // a newer entry may have the same key (see attach)
            if (inode.unlinkPending && inode.poolName != null) {
                poolName = inode.poolName;
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
                    String name = pool.adopt(inode.location, inode.key);
                    inode.poolName = name;
                    inode.location = pool.dir().resolve(name).toString();
                    inode.unlinkPending = true;
                    return;
                } catch (UnlinkedFilePool.UnsafePoolException unsafe) {
                    // Safe outcome: work as without a pool (the handles are kept open instead).
                    poolRefused = true;
                    LOG.warn("{}; not using it: unlinked files are kept open instead", unsafe.getMessage());
                }
            }
            inode.keepOpen = true;
            others = List.copyOf(inode.handles);
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
                Posix.unlink(inode.location);
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
    private static void checkStillThere(Inode inode) throws IOException {
        Posix.Stat st = Posix.statOrNull(inode.location);
        if (st == null || !st.key().equals(inode.key)) {
            throw new FileSystemException(inode.location, null,
                    "no longer leads to the file opened (renamed or replaced); nothing was unlinked");
        }
    }
}
