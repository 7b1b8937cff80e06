package org.fdcap.core;

import java.io.IOException;

/**
 * Closes unsuspendable descriptors being untracked. See {@link FdTracker#closeUnsuspendable}.
 * It runs without any tracker lock held and must not call back into the same tracker.
 */
@FunctionalInterface
public interface UnsuspendableCloser {
    /**
     * Closes the descriptors (it receives a copy it may modify). When it returns normally they are
     * considered closed and are untracked; an exception is passed through untouched and they stay
     * tracked.
     */
    void close(int[] fds) throws IOException;
}
