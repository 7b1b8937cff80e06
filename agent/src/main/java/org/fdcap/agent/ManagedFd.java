package org.fdcap.agent;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fdcap.agent.ops.Events;
import org.fdcap.core.FdBinding;
import org.fdcap.core.FsHandle;

/**
 * One managed {@link FileDescriptor} (shared by a RandomAccessFile, its channel and any stream
 * built on {@code getFD()}): its tracker handle, and the binding that suspends and restores the
 * number inside the object. It is also its own key in {@link ManagedFiles}'s map: a weak
 * reference to the descriptor object, compared by identity, so nothing here keeps the program's
 * objects alive.
 */
final class ManagedFd extends WeakReference<FileDescriptor> implements FdBinding {
    final int hash;
    final String path;
    final long dev;
    final long ino;
    /** RandomAccessFile registers a FileCleanable on its descriptor; FileChannel.open relies on its Closer. */
    private final boolean ownsCleanable;
    volatile FsHandle handle;
    /** The JDK closed the descriptor itself; the handle only waits to be forgotten. */
    volatile boolean closedBehind;
    /** Suspended now (set by the tracker through detach/attach). */
    volatile boolean suspended;
    /** Set once by the first close (or by reclaim after GC): the handle is on its way out. */
    final AtomicBoolean closing = new AtomicBoolean();
    /** Whether {@link #enterClose} could pin the handle (else it is suspended and could not be restored). */
    boolean closePinned;
    /** Pinned for good (the descriptor escaped, or the file is locked). */
    private final AtomicBoolean pinnedForGood = new AtomicBoolean();
    /** Where the file was opened ({@code fdcap.leaks=true} only), else null. */
    Throwable openedAt;
    /** Restores so far, and the thread of the last one: tells a timed pin whether it restored (JFR only). */
    private volatile int restores;
    private volatile Thread restoredBy;

    ManagedFd(FileDescriptor fdo, ReferenceQueue<FileDescriptor> queue, String path, NativeCalls.FdInfo info,
            boolean ownsCleanable) {
        super(fdo, queue);
        this.hash = System.identityHashCode(fdo);
        this.path = path;
        this.dev = info.dev;
        this.ino = info.ino;
        this.ownsCleanable = ownsCleanable;
    }

    /** A marker for a descriptor object seen and not managed (attach mode): it is not looked at again. */
    ManagedFd(FileDescriptor fdo, ReferenceQueue<FileDescriptor> queue) {
        super(fdo, queue);
        this.hash = System.identityHashCode(fdo);
        this.path = null;
        this.dev = -1;
        this.ino = -1;
        this.ownsCleanable = false;
    }

    // ---- FdBinding: called by the tracker, which holds the handle to itself ----

    @Override
    public void detach(int fd) throws IOException {
        FileDescriptor fdo = get();
        if (fdo == null) {
            // Unreachable: the JDK's cleanup closes (or closed) this number; never close it twice.
            throw new IOException("the file object was garbage-collected: " + path);
        }
        int current = JdkAccess.get(fdo);
        if (current == -1) {
            // Closed by the JDK without passing through an instrumented close (a channel's Closer
            // run by the GC, a FileInputStream built on getFD()): nothing left to close, and it
            // must never be reopened.
            closedBehind = true;
            suspended = true;
            return;
        }
        if (current != fd) {
            throw new IOException("the descriptor was changed behind fdcap's back: " + path);
        }
        if (Events.suspendEnabled()) {
            Object event = Events.beginSuspend();
            JdkAccess.close(fdo);
            Events.commitSuspend(event, path, ManagedFiles.suspendReason(), fd);
        } else {
            JdkAccess.close(fdo);
        }
        suspended = true;
    }

    @Override
    public void attach(int fd) {
        FileDescriptor fdo = get();
        if (fdo == null) {
            throw new IllegalStateException("the file object was garbage-collected: " + path);
        }
        JdkAccess.set(fdo, fd);
        if (ownsCleanable) {
            JdkAccess.registerCleanup(fdo);
        }
        suspended = false;
        restoredBy = Thread.currentThread();
        restores++; // only ever written by the thread holding the handle busy
    }

    // ---- pins ----

    /** Restores if needed and pins; null when not (or no longer) managed. */
    ManagedFd pin() throws IOException {
        FsHandle h = handle;
        if (h == null || closing.get() || closedBehind) {
            return null;
        }
        try {
            acquire(h, "use");
            return this;
        } catch (IllegalStateException closedMeanwhile) {
            return null;
        }
    }

    /** {@code h.acquire()}, recording a JFR restore event when one is wanted and this thread restores. */
    int acquire(FsHandle h, String reason) throws IOException {
        if (!Events.restoreEnabled() || !suspended) {
            return h.acquire();
        }
        int before = restores;
        Object event = Events.beginRestore();
        int fd = h.acquire();
        if (restores != before && restoredBy == Thread.currentThread()) {
            Events.commitRestore(event, path, reason, fd);
        }
        return fd;
    }

    void unpin() {
        try {
            handle.release();
        } catch (IllegalStateException untrackedMeanwhile) {
            // a concurrent close untracked the handle; nothing to release
        }
    }

    /** Pins for the rest of the handle's life: it is never suspended again. */
    void pinForGood() {
        if (handle != null && !closing.get() && pinnedForGood.compareAndSet(false, true)) {
            try {
                handle.acquire();
            } catch (IOException | IllegalStateException e) {
                pinnedForGood.set(false);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (o instanceof ManagedFd) {
            Object mine = get();
            return mine != null && mine == ((ManagedFd) o).get();
        }
        return false;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** A throwaway key to look a descriptor object up by identity. */
    static final class Lookup {
        private final FileDescriptor fdo;

        Lookup(FileDescriptor fdo) {
            this.fdo = fdo;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ManagedFd && ((ManagedFd) o).get() == fdo;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(fdo);
        }
    }
}
