package org.fdcap.core;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Chooses which open handle to suspend: the least recently used idle one.
 *
 * <p>The open handles sit in a queue in the order they were opened or restored. Acquisitions do
 * not touch the queue (that would need a lock on the hit path): they stamp the handle with the
 * tracker's clock, which advances on every open and restore. When a victim is wanted, a handle at
 * the head that was used since it was queued gets a second chance (it moves to the tail, stamped);
 * the first one that was not is the victim. With no hits between misses this is exactly LRU; with
 * hits it is LRU at the resolution of the clock. Pinned handles move to the tail too.
 *
 * <p>The lock is held only for pointer moves and the victim's state change: no system call, no
 * callback, and no other lock is ever taken inside it.
 */
final class VictimQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private FsHandle head;
    private FsHandle tail;
    /** Written under the lock, read without it. */
    private volatile int size;

    /** Appends an open handle (the most recently used position), stamped {@code now}. */
    void add(FsHandle h, long now) {
        lock.lock();
        try {
            if (h.inQueue) {
                return;
            }
            h.queuedAt = now;
            linkLast(h);
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
            // Twice round: the first pass may only spend the second chances.
            for (int budget = 2 * size; budget > 0 && head != null; budget--) {
                FsHandle h = head;
                long lastUse = h.lastUse();
                if (lastUse > h.queuedAt) {
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

    private void linkLast(FsHandle h) {
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
