package org.fdcap.core;

/**
 * A lock the process holds on a file ({@link FdTracker#lockTaken}). Closing any descriptor of a
 * file drops every POSIX lock the process holds on it, so while a hold is in force no descriptor
 * of that file is suspended; handles already suspended stay so (opening never drops a lock) and
 * are kept open once restored. Releasing the last hold makes them suspendable again.
 */
public interface LockHold {
    /** The lock was released. Idempotent: a second call does nothing. */
    void release();
}
