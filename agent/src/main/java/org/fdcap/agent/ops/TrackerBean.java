package org.fdcap.agent.ops;

import org.fdcap.core.FdTracker;

/** {@link TrackerMXBean} over the agent's tracker. */
final class TrackerBean implements TrackerMXBean {
    private final FdTracker tracker;

    TrackerBean(FdTracker tracker) {
        this.tracker = tracker;
    }

    @Override
    public int getCapacity() {
        return tracker.capacity();
    }

    @Override
    public int getActive() {
        return tracker.stats().active();
    }

    @Override
    public int getOpen() {
        return tracker.stats().open();
    }

    @Override
    public int getSuspended() {
        return tracker.stats().suspended();
    }

    @Override
    public int getPinned() {
        return tracker.stats().pinned();
    }

    @Override
    public int getUnsuspendable() {
        return tracker.stats().unsuspendable();
    }

    @Override
    public int getHeld() {
        return tracker.stats().held();
    }

    @Override
    public int getEscaped() {
        return tracker.stats().escaped();
    }

    @Override
    public int getLocked() {
        return tracker.stats().locked();
    }

    @Override
    public int getDeleted() {
        return tracker.stats().deleted();
    }

    @Override
    public int getAnchors() {
        return tracker.stats().anchors();
    }

    @Override
    public long getUses() {
        return tracker.stats().uses();
    }

    @Override
    public long getRestores() {
        return tracker.stats().restores();
    }

    @Override
    public long getSuspensions() {
        return tracker.stats().suspensions();
    }

    @Override
    public long getAhead() {
        return tracker.stats().suspendedAhead();
    }

    @Override
    public long getErrors() {
        return tracker.stats().errors();
    }

    @Override
    public long getOvershoots() {
        return tracker.stats().overshoots();
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
