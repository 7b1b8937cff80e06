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

    /** Restores: attaches the freshly reopened (and verified) descriptor {@code fd} to the owner. */
    void attach(int fd);
}
