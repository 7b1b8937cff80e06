package org.fdcap.agent.managed;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.agent.jdk.NativeCalls;
import org.fdcap.agent.ops.Events;
import org.fdcap.core.FdBinding;
import org.fdcap.core.FsHandle;

/**
 * One managed {@link FileDescriptor} (shared by a RandomAccessFile, its channel and any stream
 * built on {@code getFD()}): its tracker handle, and the binding that suspends and restores the
 * number inside the object. It is also its own entry in {@link ManagedTable}: a weak reference to
 * the descriptor object (a lookup checks that it leads back to the object asked about), so
 * nothing here keeps the program's objects alive.
 *
 * <p>There is one per managed descriptor, hundreds of thousands in some programs, so it is kept
 * to 48 bytes: its states are bits of one word (changed with compare-and-set), the file's identity
 * is a 64-bit digest of (device, inode), and the path is the handle's.
 */
public final class ManagedFd extends WeakReference<FileDescriptor> implements FdBinding {
    /** Set once by the first close (or by reclaim after GC): the handle is on its way out. */
    private static final int CLOSING = 1;
    /** Pinned for good (the descriptor escaped into a stream, or through getFD() with fdcap.getfd=pin). */
    private static final int PINNED_FOR_GOOD = 1 << 1;
    /** The JDK closed the descriptor itself; the handle only waits to be forgotten. */
    private static final int CLOSED_BEHIND = 1 << 2;
    /** Suspended now (set by the tracker through detach/attach). */
    private static final int SUSPENDED = 1 << 3;
    /** The close in progress could pin the handle (else it is suspended and could not be restored). */
    private static final int CLOSE_PINNED = 1 << 4;
    /** RandomAccessFile registers a FileCleanable on its descriptor; FileChannel.open relies on its Closer. */
    private static final int OWNS_CLEANABLE = 1 << 5;

    private static final VarHandle FLAGS;
    /**
     * The handle {@link #attach} restored last on this thread, set only while JFR restore events
     * are enabled: tells a timed {@link #acquire} whether it was this thread that restored.
     */
    private static final ThreadLocal<ManagedFd> RESTORED_HERE = new ThreadLocal<>();

    static {
        try {
            FLAGS = MethodHandles.lookup().findVarHandle(ManagedFd.class, "flags", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Where {@link ManagedTable} keeps this record (the index it also writes into the descriptor
     * object); -1 when not there. Guarded by the table's lock.
     */
    int index = -1;
    /** {@link #fileKey(long, long)} of the file. */
    private final long fileKey;
    volatile FsHandle handle;
    private volatile int flags;

    ManagedFd(FileDescriptor fdo, ReferenceQueue<? super FileDescriptor> queue, NativeCalls.FdInfo info,
            boolean ownsCleanable) {
        super(fdo, queue);
        this.fileKey = fileKey(info.dev, info.ino);
        this.flags = ownsCleanable ? OWNS_CLEANABLE : 0;
    }

    /**
     * A digest of a file's identity. Two files with the same digest are taken for one: the only
     * consequence is that a descriptor of the other file is pinned too (kept open), never a wrong
     * suspension; with a 64-bit mix of the two numbers that does not happen in practice.
     */
    static long fileKey(long dev, long ino) {
        long k = (dev + 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        k = (k ^ (k >>> 31) ^ ino) * 0x94D049BB133111EBL;
        return k ^ (k >>> 29);
    }

    /** {@link #fileKey(long, long)} of this descriptor's file. */
    long fileKey() {
        return fileKey;
    }

    /** Whether this descriptor is on the file (dev, ino). */
    boolean isFile(long dev, long ino) {
        return fileKey == fileKey(dev, ino);
    }

    /** The path the file was opened with, for messages. */
    String path() {
        FsHandle h = handle;
        return h == null ? "(a file being registered)" : h.path();
    }

    /**
     * A marker for a descriptor object seen and not managed (attach mode): it is not looked at
     * again. It never gets a handle.
     */
    ManagedFd(FileDescriptor fdo, ReferenceQueue<? super FileDescriptor> queue) {
        super(fdo, queue);
        this.fileKey = 0;
        this.flags = 0;
    }

    // ---- FdBinding: called by the tracker, which holds the handle to itself ----

    /**
     * Not once the program dropped the object, nor once the JDK closed the number itself (a
     * channel's Closer run by the GC): that cleanup is the JDK's, and the reaper gives the slot
     * back when the object is collected.
     */
    @Override
    public boolean mayDetach() {
        FileDescriptor fdo = get();
        return fdo != null && JdkAccess.get(fdo) >= 0;
    }

    @Override
    public void detach(int fd) throws IOException {
        FileDescriptor fdo = get();
        if (fdo == null) {
            // Collected since mayDetach(): the JDK's cleanup closes (or closed) this number; never
            // close it twice.
            throw new IOException("the file object was garbage-collected: " + path());
        }
        int current = JdkAccess.get(fdo);
        if (current == -1) {
            // Closed by the JDK without passing through an instrumented close (a channel's Closer
            // run by the GC, a FileInputStream built on getFD()): nothing left to close, and it
            // must never be reopened.
            set(CLOSED_BEHIND | SUSPENDED);
            return;
        }
        if (current != fd) {
            throw new IOException("the descriptor was changed behind fdcap's back: " + path());
        }
        // Marked first: FileDescriptor.valid() on another thread reads the number, then this
        // flag when the number is -1; marked after the close, a valid() in between said false.
        set(SUSPENDED);
        try {
            if (Events.suspendEnabled()) {
                Object event = Events.beginSuspend();
                JdkAccess.close(fdo);
                Events.commitSuspend(event, path(), ManagedFiles.suspendReason(), fd);
            } else {
                JdkAccess.close(fdo);
            }
        } catch (IOException | RuntimeException | Error e) {
            clear(SUSPENDED);
            throw e;
        }
    }

    @Override
    public void attach(int fd) {
        FileDescriptor fdo = get();
        if (fdo == null) {
            throw new IllegalStateException("the file object was garbage-collected: " + path());
        }
        JdkAccess.set(fdo, fd);
        if (has(OWNS_CLEANABLE)) {
            JdkAccess.registerCleanup(fdo);
        }
        clear(SUSPENDED);
        if (Events.restoreEnabled()) {
            RESTORED_HERE.set(this);
        }
    }

    // ---- states ----

    boolean isSuspended() {
        return has(SUSPENDED);
    }

    boolean isClosedBehind() {
        return has(CLOSED_BEHIND);
    }

    boolean isClosing() {
        return has(CLOSING);
    }

    /** Marks the handle as on its way out; true for the one caller that did. */
    boolean startClosing() {
        return set(CLOSING);
    }

    boolean closePinned() {
        return has(CLOSE_PINNED);
    }

    void closePinned(boolean pinned) {
        if (pinned) {
            set(CLOSE_PINNED);
        } else {
            clear(CLOSE_PINNED);
        }
    }

    private boolean has(int bit) {
        return (flags & bit) != 0;
    }

    /** Sets {@code bits}; true when this call set them (they were all clear). */
    private boolean set(int bits) {
        for (;;) {
            int f = flags;
            if ((f & bits) == bits) {
                return false;
            }
            if (FLAGS.compareAndSet(this, f, f | bits)) {
                return (f & bits) == 0;
            }
        }
    }

    private void clear(int bits) {
        for (;;) {
            int f = flags;
            if ((f & bits) == 0 || FLAGS.compareAndSet(this, f, f & ~bits)) {
                return;
            }
        }
    }

    // ---- pins ----

    /**
     * Restores if needed and pins; returns the pinned tracker handle, which {@link #unpin(FsHandle)}
     * takes back, or null when not (or no longer) managed. The handle, not this record, is what the
     * instrumented method holds until its exit: unpinning reads only the object whose state word it
     * changes, and releases the very handle that was pinned. (Measured against reading the record
     * again at the exit: no difference beyond the noise, docs/performance.md section 1.)
     */
    FsHandle pin() throws IOException {
        FsHandle h = handle;
        if (h == null || (flags & (CLOSING | CLOSED_BEHIND)) != 0) {
            return null;
        }
        try {
            acquire(h, "use");
            return h;
        } catch (IllegalStateException closedMeanwhile) {
            return null;
        }
    }

    /**
     * Moves the offset of a suspended descriptor without restoring it (the next use reopens it
     * there); false when it is open, or not for this path to decide (closing, closed behind,
     * not yet registered): the caller pins and seeks as usual.
     */
    boolean seekIfSuspended(long position) {
        FsHandle h = handle;
        return h != null && (flags & (CLOSING | CLOSED_BEHIND | SUSPENDED)) == SUSPENDED && h.seekIfSuspended(position);
    }

    /** The saved offset while suspended (and not closing, nor closed behind); else -1. */
    long offsetIfSuspended() {
        FsHandle h = handle;
        return h != null && (flags & (CLOSING | CLOSED_BEHIND | SUSPENDED)) == SUSPENDED ? h.offsetIfSuspended() : -1;
    }

    /** {@code h.acquire()}, recording a JFR restore event when one is wanted and this thread restores. */
    int acquire(FsHandle h, String reason) throws IOException {
        // The hit path: kept this small so that it is inlined into the advice wherever pin() is.
        return Events.restoreEnabled() ? acquireRecorded(h, reason) : h.acquire();
    }

    /** {@link #acquire} while a recording wants restore events. */
    private int acquireRecorded(FsHandle h, String reason) throws IOException {
        if (!isSuspended()) {
            // Open when looked at, but another thread (the tracker's background thread, say) may
            // suspend it before the acquisition, which then restores it here: recorded too, with
            // the time from then on.
            RESTORED_HERE.remove();
            int fd = h.acquire();
            if (RESTORED_HERE.get() == this) {
                RESTORED_HERE.remove();
                Events.commitRestore(Events.beginRestore(), path(), reason, fd);
            }
            return fd;
        }
        RESTORED_HERE.remove();
        Object event = Events.beginRestore();
        int fd = h.acquire();
        if (RESTORED_HERE.get() == this) {
            Events.commitRestore(event, path(), reason, fd);
        }
        RESTORED_HERE.remove();
        return fd;
    }

    /** Releases a pin taken by {@link #pin()}. */
    static void unpin(FsHandle h) {
        try {
            h.release();
        } catch (IllegalStateException untrackedMeanwhile) {
            // a concurrent close untracked the handle; nothing to release
        }
    }

    /** Pins for the rest of the handle's life: it is never suspended again ({@link FsHandle#pinForGood()}). */
    void pinForGood() {
        if (handle != null && !has(CLOSING) && set(PINNED_FOR_GOOD)) {
            try {
                handle.pinForGood();
            } catch (IOException | IllegalStateException e) {
                clear(PINNED_FOR_GOOD);
            }
        }
    }
}
