package org.fdcap.core;

/**
 * How a tracker chooses the idle handle to suspend when it needs room. Both policies keep the hit
 * path (acquiring an open handle) free of locks and shared writes: it only updates the handle's
 * own state word. Set with {@link FdTracker.Builder#evictionPolicy}.
 */
public enum EvictionPolicy {
    /**
     * Least recently used first, as LTTng's fd-tracker (the seed) does, at the resolution of the
     * tracker's clock: open handles queue in the order they were opened or restored, and one used
     * since it was queued gets a second chance. A cyclic scan over more files than the capacity
     * (reading a set of files over and over in the same order) misses on every access.
     */
    LRU,

    /**
     * The default. Newly opened handles are queued as with {@link #LRU}; the difference is what
     * happens to a handle that comes back (is restored) after a suspension. Every handle keeps a
     * small use count (saturating at 15, halved every 10 x capacity opens and restores, kept while
     * the handle is suspended). A restored handle whose count is higher than that of the next
     * victim is queued as most recently used; otherwise it is queued as the next victim itself,
     * and stays only if it is used again before the next suspension.
     *
     * <p>On a cyclic scan this keeps all but one of the open handles in place, so about
     * {@code (capacity - 1) / files} of the accesses hit, where LRU gets none; on skewed
     * workloads the often-used handles are not pushed out by ones used once. The idea is
     * TinyLFU's admission filter, with exact per-handle counts instead of a sketch (a suspended
     * handle is still an object the tracker holds, so it can carry its own history).
     */
    SCAN_RESISTANT
}
