package org.fdcap.agent.ops;

import java.util.function.Supplier;
import org.fdcap.core.FdTracker;
import org.fdcap.core.TrackerStats;

/** {@link TrackerMXBean} over the agent's tracker. */
final class TrackerBean implements TrackerMXBean {
    private final FdTracker tracker;
    private final Supplier<TrackerStats> stats;

    /** {@code stats}: the tracker's numbers as the program is shown them (see Operations). */
    TrackerBean(FdTracker tracker, Supplier<TrackerStats> stats) {
        this.tracker = tracker;
        this.stats = stats;
    }

    @Override
    public int getCapacity() {
        return tracker.capacity();
    }

    @Override
    public int getActive() {
        return stats.get().active();
    }

    @Override
    public int getOpen() {
        return stats.get().open();
    }

    @Override
    public int getSuspended() {
        return stats.get().suspended();
    }

    @Override
    public int getPinned() {
        return stats.get().pinned();
    }

    @Override
    public int getUnsuspendable() {
        return stats.get().unsuspendable();
    }

    @Override
    public int getHeld() {
        return stats.get().held();
    }

    @Override
    public int getEscaped() {
        return stats.get().escaped();
    }

    @Override
    public int getLocked() {
        return stats.get().locked();
    }

    @Override
    public int getDeleted() {
        return stats.get().deleted();
    }

    @Override
    public int getAnchors() {
        return stats.get().anchors();
    }

    @Override
    public long getUses() {
        return stats.get().uses();
    }

    @Override
    public long getRestores() {
        return stats.get().restores();
    }

    @Override
    public long getSuspensions() {
        return stats.get().suspensions();
    }

    @Override
    public long getAhead() {
        return stats.get().suspendedAhead();
    }

    @Override
    public long getErrors() {
        return stats.get().errors();
    }

    @Override
    public long getOvershoots() {
        return stats.get().overshoots();
    }

    @Override
    public String getLastError() {
        Throwable t = tracker.lastError();
        return t == null ? "" : t.toString();
    }

    @Override
    public String describe() {
        return tracker.describe();
    }
}
