package org.fdcap.core;

import java.io.IOException;

/**
 * Connects a handle to the object that really holds its descriptor, for descriptors the tracker
 * adopts instead of opening ({@link FdTracker#adopt}). The tracker calls it while it has the handle
 * to itself (no pins, no other transition in progress).
 *
 * <p>Implementations must not call back into the tracker.
 */
public interface FdBinding {
    /**
     * Suspends: detaches {@code fd} from its owner and closes it. When this returns normally the
     * descriptor must be closed; when it throws, it must still be open and attached (the tracker
     * then keeps the handle open and counts an error).
     */
    void detach(int fd) throws IOException;

    /**
     * Whether the owner can give its descriptor up now. False refuses this suspension quietly
     * (no error counted; the handle stays open and may be chosen again later), for an owner that
     * knows it is going away: one the garbage collector has reclaimed, say, whose descriptor the
     * owner's own cleanup will close.
     */
    default boolean mayDetach() {
        return true;
    }

    /** Restores: attaches the freshly reopened (and verified) descriptor {@code fd} to the owner. */
    void attach(int fd);
}
