package org.fdcap.core;

/**
 * A snapshot of a tracker's counters. The counters only grow; the gauges describe the moment the
 * snapshot was taken (they are read one after the other, not atomically together).
 *
 * @param capacity the most descriptors the tracker lets be open at once
 * @param uses calls to {@link FsHandle#acquire()} (including failed ones)
 * @param restores acquisitions that found the handle suspended and restored it (or tried to)
 * @param suspensions descriptors closed to make room
 * @param errors failed restores and failed suspensions (a refused suspension is not an error)
 * @param overshoots adoptions accepted over the capacity because nothing could be suspended (only
 *     {@link FdTracker#adopt(int, java.nio.file.Path, int, FdBinding)} without a reserved slot can)
 * @param open suspendable handles holding a descriptor now
 * @param suspended suspendable handles whose descriptor is closed now
 * @param pinned handles in use (at least one {@code acquire} not yet released) now
 * @param unsuspendable unsuspendable descriptors tracked now
 * @param escaped open handles pinned for good ({@link FsHandle#pinForGood()}: the number escaped
 *     into a stream or native code) now
 * @param locked open handles of files the process holds a lock on ({@link FdTracker#lockTaken}), not
 *     in use, now
 * @param deleted open handles of files deleted behind the tracker's back, kept open (nothing could
 *     reopen them), not in use, now
 * @param anchors descriptors the tracker keeps on deleted files for their handles (one per file), now
 * @param suspendedAhead of the {@code suspensions}, those made ahead of need by the background thread of
 *     {@link FdTracker.Builder#spare} (the others were made by a program's thread that needed the room)
 */
public record TrackerStats(
        int capacity,
        long uses,
        long restores,
        long suspensions,
        long errors,
        long overshoots,
        int open,
        int suspended,
        int pinned,
        int unsuspendable,
        int escaped,
        int locked,
        int deleted,
        int anchors,
        long suspendedAhead) {

    /**
     * Descriptors held open for a lasting reason now: {@code escaped + locked + deleted + anchors}.
     * An open that needs room waits for descriptors in use, never for these.
     */
    public int held() {
        return escaped + locked + deleted + anchors;
    }

    /** Descriptors counted against the capacity: open handles, unsuspendable descriptors and anchors. */
    public int active() {
        return open + unsuspendable + anchors;
    }

    /**
     * These numbers counted from {@code start} on: its counters ({@code uses}, {@code restores},
     * {@code suspensions}, {@code errors}, {@code overshoots}, {@code suspendedAhead}) taken away
     * from these; the capacity and the gauges are this snapshot's. For a {@code start} taken
     * earlier from the same tracker the counters stay non-negative and only grow.
     */
    public TrackerStats since(TrackerStats start) {
        return new TrackerStats(capacity, uses - start.uses, restores - start.restores,
                suspensions - start.suspensions, errors - start.errors, overshoots - start.overshoots, open,
                suspended, pinned, unsuspendable, escaped, locked, deleted, anchors,
                suspendedAhead - start.suspendedAhead);
    }

    @Override
    public String toString() {
        return "capacity=" + capacity + " active=" + active() + " (open=" + open + " unsuspendable=" + unsuspendable
                + " anchors=" + anchors + ") suspended=" + suspended + " pinned=" + pinned + " held=" + held()
                + " (escaped=" + escaped + " locked=" + locked + " deleted=" + deleted + " + the anchors) uses=" + uses
                + " restores=" + restores
                + " suspensions=" + suspensions + " (ahead=" + suspendedAhead + ") errors=" + errors + " overshoots=" + overshoots;
    }
}
