package org.fdcap.core;

import java.util.ArrayList;
import java.util.List;

/**
 * What the handles on one file share: where the file can be reopened from, and whether it was
 * unlinked. Every field is guarded by the {@link InodeRegistry}'s lock, except {@link #location}
 * and {@link #keepOpen}, which the suspend and restore paths read without it.
 */
final class Inode {
    final InodeKey key;
    /** The path a suspended handle on this file reopens: the last known name, or its pool name. */
    volatile String location;
    /**
     * Set when the file must never be suspended again: it was unlinked with no pool to move it
     * to, or was found deleted. Its handles stay open until closed.
     */
    volatile boolean keepOpen;
    boolean unlinkPending;
    /** The file's name in the unlinked-file pool, once moved there. */
    String poolName;
    final List<FsHandle> handles = new ArrayList<>(1);

    Inode(InodeKey key, String location) {
        this.key = key;
        this.location = location;
    }
}
