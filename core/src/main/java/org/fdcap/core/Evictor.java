package org.fdcap.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a few descriptors free under a tracker's capacity ahead of need ({@link FdTracker.Builder#spare}):
 * a background thread suspends idle handles while the program's threads compute, so that a
 * restore on a program's thread finds room at once and makes only its own system calls (open,
 * identity check, lseek), not the victim's (the stat of its path, lseek, close).
 *
 * <p>The thread is started by the first reservation that leaves less than {@link #wakeBelow}
 * descriptors free, refills the room to {@link #spare}, and parks; a reservation that takes the
 * room under {@code wakeBelow} again unparks it. The gap between the two marks is what spares the
 * program's threads a wake-up (a futex call) per restore: one serves half the spare. It is not
 * woken while as many threads restore handles as there are processors (they would share them with
 * it, and lose more than it saves them: {@link FdTracker#aProcessorIsFree()}). It does not
 * spin while waiting: a thread that polls the room reads the count every reservation changes, and
 * with as many program threads as processors it takes their time (measured: two threads missing
 * on two cores went from 8 to 12 us per read with a 100 us spin). When it finds nothing
 * idle to suspend (every open descriptor pinned or held), it parks until the next wake-up; the
 * program's threads then make room themselves, as without it. It only ever closes descriptors:
 * it cannot take the process over the capacity, nor hold anything a program's thread waits for
 * longer than one suspension.
 */
final class Evictor implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Evictor.class);
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int STOPPED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Evictor.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final FdTracker tracker;
    /** Free descriptors the thread keeps under the capacity. */
    final int spare;
    /** A reservation that leaves fewer free than this wakes the thread. */
    final int wakeBelow;
    private final ThreadFactory threads;
    /** IDLE (parked, or not started), RUNNING, or STOPPED. */
    private volatile int state = IDLE;
    private Thread thread; // guarded by this; set once
    /** The threads this class runs in, to tell the bindings who is suspending ({@link FdTracker#suspendingAhead()}). */
    static final ThreadLocal<Boolean> AHEAD = new ThreadLocal<>();

    Evictor(FdTracker tracker, int spare, ThreadFactory threads) {
        this.tracker = tracker;
        this.spare = spare;
        this.wakeBelow = Math.max(1, (spare + 1) / 2);
        this.threads = threads;
    }

    /** Called when a reservation left {@code room} free: wakes the thread if that is under the low mark. */
    void reserved(int room) {
        if (room < wakeBelow && state == IDLE && tracker.aProcessorIsFree() && STATE.compareAndSet(this, IDLE, RUNNING)) {
            Thread t;
            synchronized (this) {
                t = thread;
                if (t == null) {
                    t = start();
                    if (t == null) {
                        return; // could not start: the program's threads make room, as without it
                    }
                }
            }
            LockSupport.unpark(t);
        }
    }

    private Thread start() {
        try {
            Thread t = threads == null ? new Thread(this, "fdcap-evictor") : threads.newThread(this);
            t.setDaemon(true);
            thread = t;
            t.start();
            return t;
        } catch (RuntimeException | Error e) {
            state = STOPPED;
            LOG.warn("fdcap: could not start the thread that keeps {} descriptors free ahead of need ({});"
                    + " room is made when it is needed instead", spare, e.toString());
            return null;
        }
    }

    /** Stops the thread (the tracker is destroyed). */
    void stop() {
        Thread t;
        synchronized (this) {
            state = STOPPED;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void run() {
        AHEAD.set(Boolean.TRUE);
        boolean nothingIdle = false;
        while (state != STOPPED) {
            try {
                if (!nothingIdle && tracker.room() < spare) {
                    if (tracker.suspendAhead()) {
                        continue;
                    }
                    nothingIdle = true; // every open descriptor is in use or held: wait for a wake-up
                }
                if (!STATE.compareAndSet(this, RUNNING, IDLE)) {
                    continue; // stopped
                }
                // A reservation between the last look and the state change saw RUNNING and did not
                // wake us: look once more.
                if (!nothingIdle && tracker.room() < wakeBelow && STATE.compareAndSet(this, IDLE, RUNNING)) {
                    continue;
                }
                while (state == IDLE) {
                    LockSupport.park(this);
                }
                nothingIdle = false;
            } catch (RuntimeException | Error e) {
                // A failed suspension is recorded by the handle; anything else must not end the
                // thread: it parks until the next wake-up.
                LOG.warn("fdcap: the thread that keeps descriptors free ahead of need failed ({}); it carries on",
                        e.toString());
                nothingIdle = true;
            }
        }
    }
}
