package org.fdcap.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Chooses which open handle to suspend, under the tracker's {@link EvictionPolicy}.
 *
 * <p>The open handles sit in a queue in the order they were opened or restored. Acquisitions do
 * not touch the queue (that would need a lock on the hit path): they stamp the handle with the
 * clock ({@link FdTracker#CLOCK}), which advances on every open and restore. When a victim is wanted, a handle at
 * the head that was used since it was queued gets a second chance (it moves to the tail, stamped);
 * the first one that was not is the victim. With no hits between misses this is exactly LRU; with
 * hits it is LRU at the resolution of the clock. Pinned handles move to the tail too.
 *
 * <p>{@link EvictionPolicy#SCAN_RESISTANT} also reads the use counter of the handle's state word
 * whenever it looks at a handle, folds it into a small frequency per handle, and queues a restored
 * handle at the head (on probation: the next victim) unless it was used more often than the
 * handle there. A handle on probation is kept if its counter moved since its restore (the clock
 * stamp cannot see a use made before the next tick). Nothing changes on the hit path: the counter
 * is part of the compare-and-set that pins the handle anyway.
 *
 * <p>The lock is held only for pointer moves and the victim's state change: no system call, no
 * callback, and no other lock is ever taken inside it.
 */
final class VictimQueue {
    /** Frequencies saturate here (as TinyLFU's 4-bit counters): a long-hot handle cools quickly. */
    static final int MAX_FREQUENCY = 15;

    private final ReentrantLock lock = new ReentrantLock();
    private final boolean scanResistant;
    /** The tracker's opens and restores, the time base of the aging. */
    private final AtomicLong events;
    /** Frequencies are halved every this many opens and restores, so that yesterday's hot files can leave. */
    private final long agingPeriod;
    private FsHandle head;
    private FsHandle tail;
    /** Written under the lock, read without it. */
    private volatile int size;

    VictimQueue(EvictionPolicy policy, int capacity, AtomicLong events) {
        this.scanResistant = policy == EvictionPolicy.SCAN_RESISTANT;
        this.events = events;
        this.agingPeriod = Math.max(64L, 10L * capacity);
    }

    /** Appends an open handle (the most recently used position), stamped {@code now}. */
    void add(FsHandle h, long now) {
        lock.lock();
        try {
            if (h.inQueue) {
                return;
            }
            h.queuedAt = now;
            if (scanResistant) {
                observe(h, epoch());
            }
            linkLast(h);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a handle just restored (still busy: its state word does not yet count the use that
     * restored it). Under {@link EvictionPolicy#LRU} as {@link #add}; under
     * {@link EvictionPolicy#SCAN_RESISTANT} at the most recently used end only if it was used
     * more often than the handle at the head, else at the head: the next victim, unless it is used
     * again before then.
     */
    void addRestored(FsHandle h, long now) {
        if (!scanResistant) {
            add(h, now);
            return;
        }
        lock.lock();
        try {
            if (h.inQueue) {
                return;
            }
            h.queuedAt = now;
            long epoch = epoch();
            observe(h, epoch);
            boolean admitted = head == null || h.frequency > peekFrequency(head, epoch);
            // The use that restored it, counted here as the state word will count it.
            h.usesSeen++;
            h.frequency = (byte) Math.min(MAX_FREQUENCY, h.frequency + 1);
            if (admitted) {
                linkLast(h);
            } else {
                h.onProbation = true;
                linkFirst(h);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends {@code h} if it is open and not queued; checked under the queue's lock, so that a
     * close (which changes the phase before it removes the handle) cannot leave it queued.
     */
    void addIfOpen(FsHandle h, long now) {
        lock.lock();
        try {
            if (!h.inQueue && h.isOpen()) {
                h.queuedAt = now;
                if (scanResistant) {
                    observe(h, epoch());
                }
                linkLast(h);
            }
        } finally {
            lock.unlock();
        }
    }

    void remove(FsHandle h) {
        lock.lock();
        try {
            if (h.inQueue) {
                unlink(h);
            }
        } finally {
            lock.unlock();
        }
    }

    int size() {
        return size;
    }

    /**
     * Takes the victim out of the queue and returns it, already moved to its busy state (so that
     * nobody can pin, restore or close it meanwhile); {@code null} when every queued handle is
     * pinned or busy.
     */
    FsHandle pollVictim() {
        lock.lock();
        try {
            long epoch = scanResistant ? epoch() : 0;
            // Twice round: the first pass may only spend the second chances.
            for (int budget = 2 * size; budget > 0 && head != null; budget--) {
                FsHandle h = head;
                long lastUse = h.lastUse();
                boolean usedSinceQueued = lastUse > h.queuedAt;
                if (scanResistant) {
                    long uses = observe(h, epoch);
                    if (h.onProbation) {
                        // Restored at the head: the stamp cannot tell a use right after the
                        // restore (same tick) from the restore itself; the counter can.
                        usedSinceQueued = uses > 0;
                        h.onProbation = false;
                    }
                }
                if (usedSinceQueued) {
                    h.queuedAt = lastUse;
                } else if (h.tryBeginSuspend()) {
                    unlink(h);
                    return h;
                }
                unlink(h);
                linkLast(h);
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Visits the queue from the least recently used end, for logs. */
    void forEach(java.util.function.Consumer<FsHandle> action) {
        lock.lock();
        try {
            for (FsHandle h = head; h != null; h = h.next) {
                action.accept(h);
            }
        } finally {
            lock.unlock();
        }
    }

    private long epoch() {
        return events.get() / agingPeriod;
    }

    /**
     * Folds the acquisitions made since the last look into the handle's frequency (after aging
     * it) and returns how many there were.
     */
    private static long observe(FsHandle h, long epoch) {
        long uses = h.usesNotFolded(); // read once: hits may land meanwhile
        long pending = pendingUses(h, uses);
        h.usesSeen = (int) Math.min(uses, Integer.MAX_VALUE);
        h.frequency = (byte) Math.min(MAX_FREQUENCY, aged(h, epoch) + pending);
        h.frequencyEpoch = (int) epoch;
        return pending;
    }

    /** The frequency {@link #observe} would give, without consuming the pending uses. */
    private static long peekFrequency(FsHandle h, long epoch) {
        return Math.min(MAX_FREQUENCY, aged(h, epoch) + pendingUses(h, h.usesNotFolded()));
    }

    private static long pendingUses(FsHandle h, long uses) {
        // The state word's counter restarts from 0 when it is folded into the tracker's total.
        return uses >= h.usesSeen ? uses - h.usesSeen : uses;
    }

    private static long aged(FsHandle h, long epoch) {
        // < 0 when another thread's older tick comes late. In int arithmetic, as the epoch is
        // kept: exact while the handle is looked at at least once in 2^31 epochs.
        int halvings = (int) epoch - h.frequencyEpoch;
        return halvings <= 0 ? h.frequency : halvings >= 8 ? 0 : h.frequency >>> halvings;
    }

    private void linkFirst(FsHandle h) {
        h.prev = null;
        h.next = head;
        if (head == null) {
            tail = h;
        } else {
            head.prev = h;
        }
        head = h;
        h.inQueue = true;
        size++;
    }

    private void linkLast(FsHandle h) {
        h.onProbation = false;
        h.prev = tail;
        h.next = null;
        if (tail == null) {
            head = h;
        } else {
            tail.next = h;
        }
        tail = h;
        h.inQueue = true;
        size++;
    }

    private void unlink(FsHandle h) {
        if (h.prev == null) {
            head = h.next;
        } else {
            h.prev.next = h.next;
        }
        if (h.next == null) {
            tail = h.prev;
        } else {
            h.next.prev = h.prev;
        }
        h.prev = null;
        h.next = null;
        h.inQueue = false;
        size--;
    }
}
