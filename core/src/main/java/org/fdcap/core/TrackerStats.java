package org.fdcap.core;

/**
 * A snapshot of a tracker's counters. The counters only grow; the gauges describe the moment the
 * snapshot was taken (they are read one after the other, not atomically together).
 *
 * @param capacity the most descriptors the tracker lets be open at once
 * @param uses calls to {@link FsHandle#acquire()} (including failed ones)
 * @param misses acquisitions that found the handle suspended and restored it (or tried to)
 * @param suspensions descriptors closed to make room
 * @param errors failed restores and failed suspensions (a refused suspension is not an error)
 * @param overshoots adoptions accepted over the capacity because nothing could be suspended
 * @param open suspendable handles holding a descriptor now
 * @param suspended suspendable handles whose descriptor is closed now
 * @param pinned handles in use (at least one {@code acquire} not yet released) now
 * @param unsuspendable unsuspendable descriptors tracked now
 */
public record TrackerStats(
        int capacity,
        long uses,
        long misses,
        long suspensions,
        long errors,
        long overshoots,
        int open,
        int suspended,
        int pinned,
        int unsuspendable) {

    /** Descriptors counted against the capacity: open handles plus unsuspendable descriptors. */
    public int active() {
        return open + unsuspendable;
    }

    @Override
    public String toString() {
        return "capacity=" + capacity + " active=" + active() + " (open=" + open + " unsuspendable=" + unsuspendable
                + ") suspended=" + suspended + " pinned=" + pinned + " uses=" + uses + " misses=" + misses
                + " suspensions=" + suspensions + " errors=" + errors + " overshoots=" + overshoots;
    }
}
