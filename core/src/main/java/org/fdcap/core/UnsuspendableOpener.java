package org.fdcap.core;

import java.io.IOException;

/**
 * Opens descriptors the tracker must count but can never close by itself (sockets, pipes, epoll
 * descriptors, ...). See {@link FdTracker#openUnsuspendable}.
 *
 * <p>It runs without any tracker lock held, but it must not call back into the same tracker: the
 * slots it is about to fill are reserved for it and nobody else.
 */
@FunctionalInterface
public interface UnsuspendableOpener {
    /**
     * Opens exactly {@code count} descriptors and returns them. An exception is passed through to
     * the caller of {@code openUnsuspendable} untouched, and nothing is tracked.
     */
    int[] open(int count) throws IOException;
}
