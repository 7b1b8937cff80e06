package org.fdcap.core;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;

/**
 * A suspendable descriptor: a file the tracker may close while nobody uses it, and reopens, at
 * the same offset and verified to be the same file, the next time it is acquired.
 *
 * <p>Use the descriptor only between {@link #acquire()} and {@link #release()}, and never keep
 * the number afterwards: a suspended and restored handle usually gets another one. Pins are
 * counted, so several threads may use one handle at once (with positional I/O). The convenience
 * methods ({@link #read(byte[], int, int)}, {@link #write(byte[], int, int, long)}, {@link #size()},
 * ...) do the acquire / system call / release for you.
 *
 * <p>Thread safety: every method may be called from any thread. The hit path (acquiring an open
 * handle) is one compare-and-set on this handle's state word and takes no lock.
 *
 * <p>Misuse (release without acquire, close while in use, use after close, double close) throws
 * {@link IllegalStateException} and leaves every count as it was.
 */
public final class FsHandle {
    // The state word: [uses since last fold: 38 bits][phase: 2 bits][pins: 24 bits].
    private static final long PIN = 1L;
    private static final long PINS_MASK = (1L << 24) - 1;
    private static final int PHASE_SHIFT = 24;
    private static final long PHASE_MASK = 3L << PHASE_SHIFT;
    private static final int USES_SHIFT = 26;
    private static final long USE = 1L << USES_SHIFT;
    /**
     * The count is folded into the tracker's total before it leaves an {@code int}: the eviction
     * policy keeps the count it last saw in one ({@code usesSeen}), 4 bytes per handle.
     */
    private static final long USES_FOLD_AT = Integer.MAX_VALUE - 1;

    static final int OPEN = 0;
    static final int SUSPENDED = 1;
    /** One thread is suspending, restoring or closing the handle; the others wait. */
    static final int BUSY = 2;
    static final int CLOSED = 3;

    private static final VarHandle STATE;
    private static final VarHandle LAST_USE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(FsHandle.class, "state", long.class);
            LAST_USE = lookup.findVarHandle(FsHandle.class, "lastUse", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final FdTracker tracker;
    private final String openedPath;
    private final int reopenFlags;
    private final FdBinding binding;
    private Inode inode;

    /** Valid while OPEN; changed only by the thread that holds the handle BUSY. */
    private int fd = -1;
    /** The offset saved at suspension. */
    private long offset;

    // The hit path (acquire() of an open handle, release()) touches these two fields only, and
    // static ones: HotSpot lays the two out side by side (offsets 24 and 32 with compressed
    // class pointers), in one cache line of the object, where tracker and clock references sat
    // 40 bytes further, on the next line most of the time.
    private volatile long state = phaseBits(BUSY);
    /** The clock at the last acquisition ({@link FdTracker#CLOCK}); written with opaque stores on the hit path. */
    @SuppressWarnings("unused")
    private long lastUse;

    // Victim-queue links, guarded by the VictimQueue's lock.
    FsHandle prev;
    FsHandle next;
    long queuedAt;
    boolean inQueue;
    // Use history for EvictionPolicy.SCAN_RESISTANT, guarded by the VictimQueue's lock; kept while
    // the handle is suspended. Narrow types: there is one handle per tracked file, up to hundreds
    // of thousands, and these four fields took 21 of its bytes as long, int and long.
    /** The use count last folded into {@link #frequency} (the state word's count never exceeds an int). */
    int usesSeen;
    /** 0 to {@link VictimQueue#MAX_FREQUENCY}. */
    byte frequency;
    /** The aging epoch of {@link #frequency}, its low 32 bits: compared by wrapping difference. */
    int frequencyEpoch;
    boolean onProbation;
    /** Pinned for the rest of its life ({@link #pinForGood()}); one of its pins is that one. */
    private volatile boolean pinnedForGood;

    FsHandle(FdTracker tracker, String path, int flags, FdBinding binding) {
        this.tracker = tracker;
        this.openedPath = path;
        this.reopenFlags = OpenFlags.forReopen(flags);
        this.binding = binding;
    }

    /** The path the handle was opened with. */
    public String path() {
        return openedPath;
    }

    /** The path a suspended handle reopens now: the last known name, or the pool name once unlinked. */
    public String location() {
        return inode.location;
    }

    /** The flags the handle reopens with (the open flags less {@code O_CREAT|O_EXCL|O_TRUNC}). */
    public int reopenFlags() {
        return reopenFlags;
    }

    /** Whether the descriptor is closed now (it will be reopened by the next {@link #acquire()}). */
    public boolean isSuspended() {
        return phase(state) == SUSPENDED;
    }

    /** Whether the handle was closed or untracked. */
    public boolean isClosed() {
        return phase(state) == CLOSED;
    }

    /** How many acquisitions are not yet released. */
    public int pins() {
        return (int) (state & PINS_MASK);
    }

    /**
     * Returns the descriptor, restoring it first if it was suspended, and pins it: it will not be
     * suspended until the matching {@link #release()}.
     *
     * <p>A restore reopens the file with the remembered flags, checks it is the same file (device
     * and inode) and seeks back to the saved offset. It may suspend other handles to make room.
     *
     * @throws FileChangedException the path no longer leads to this file (deleted or replaced
     *     behind the tracker's back); the handle stays suspended
     * @throws TooManyOpenFilesException no room could be made for the descriptor
     * @throws IOException the reopen failed otherwise (permissions, I/O error)
     * @throws IllegalStateException the handle was closed
     */
    public int acquire() throws IOException {
        for (;;) {
            long s = state;
            int phase = phase(s);
            if (phase == OPEN) {
                if ((s & PINS_MASK) == PINS_MASK || (s >>> USES_SHIFT) >= USES_FOLD_AT) {
                    s = foldOrFail(s);
                    continue;
                }
                if (STATE.compareAndSet(this, s, s + USE + PIN)) {
                    // Nothing of this object but the state word and the stamp next to it.
                    long now = FdTracker.CLOCK.get();
                    if ((long) LAST_USE.getOpaque(this) != now) {
                        LAST_USE.setOpaque(this, now);
                    }
                    return fd;
                }
            } else if (phase == SUSPENDED) {
                if (STATE.compareAndSet(this, s, withPhase(s, BUSY))) {
                    return restoreAndPin(s);
                }
            } else if (phase == BUSY) {
                awaitSettled();
            } else {
                throw new IllegalStateException("acquire() on a closed handle: " + openedPath);
            }
        }
    }

    /**
     * Moves the offset of a suspended handle without reopening it: the next {@link #acquire()}
     * restores the descriptor at {@code position}. This is lseek(2) with {@code SEEK_SET} for a
     * caller that would otherwise restore a descriptor only to move its offset (and, often, to
     * move it again before the next read). It counts as a use of the handle.
     *
     * @return true when the handle was suspended and now resumes at {@code position}; false when
     *     it is open (or being suspended, restored or closed by another thread): then nothing
     *     changed, and the caller seeks the usual way ({@link #acquire()}, lseek, {@link #release()})
     * @throws IllegalArgumentException {@code position} is negative
     */
    public boolean seekIfSuspended(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative offset " + position + ": " + openedPath);
        }
        long s = state;
        if (phase(s) != SUSPENDED || (s >>> USES_SHIFT) >= USES_FOLD_AT
                || !STATE.compareAndSet(this, s, withPhase(s, BUSY))) {
            return false;
        }
        offset = position; // published to the next owner by the volatile write below
        state = s + USE;
        return true;
    }

    /**
     * The offset a suspended handle will be restored at, without reopening it; -1 when the handle
     * is open (or being suspended, restored or closed by another thread): then the caller asks the
     * descriptor ({@link #acquire()}, lseek with {@code SEEK_CUR}, {@link #release()}).
     */
    public long offsetIfSuspended() {
        long s = state;
        if (phase(s) != SUSPENDED || !STATE.compareAndSet(this, s, withPhase(s, BUSY))) {
            return -1;
        }
        long position = offset;
        state = s;
        return position;
    }

    /**
     * Unpins the descriptor taken by {@link #acquire()}.
     *
     * @throws IllegalStateException there is no acquisition to release
     */
    public void release() {
        for (;;) {
            long s = state;
            if ((s & PINS_MASK) == 0) {
                throw new IllegalStateException("release() without a matching acquire(): " + openedPath);
            }
            // A handle untracked while other threads used it can still be released by them.
            if (STATE.compareAndSet(this, s, s - PIN)) {
                if (((s - PIN) & PINS_MASK) == 0 && FdTracker.anyWaiters()) {
                    tracker.onRelease();
                }
                return;
            }
        }
    }

    /**
     * Pins the handle for the rest of its life, restoring it first if it is suspended: for a
     * descriptor whose number escaped to code that uses it directly (a stream built on it, JNI).
     * The pin is counted as held for a lasting reason ({@link TrackerStats#escaped()}), never
     * waited for by an open that needs room; {@link #close()} and {@link #untrack()} end it.
     * A second call does nothing.
     *
     * @throws IOException the restore failed (the handle is not pinned then)
     * @throws IllegalStateException the handle was closed
     */
    public void pinForGood() throws IOException {
        synchronized (this) {
            if (pinnedForGood) {
                return;
            }
            acquire();
            pinnedForGood = true;
        }
    }

    /** Whether {@link #pinForGood()} was called. */
    public boolean isPinnedForGood() {
        return pinnedForGood;
    }

    /**
     * Unlinks the file: its name disappears at once; its data stays readable and writable through
     * every handle on it, suspended or not, until the last of them is closed. With an unlinked-file
     * pool the file is moved there (no descriptor is needed); otherwise (or when the pool is on
     * another filesystem) the tracker keeps one descriptor of its own on the file, its anchor,
     * through which every handle is reopened, and closes it with the last handle.
     *
     * @throws NoSuchFileException the file was already unlinked (through any handle on it)
     * @throws TooManyOpenFilesException no room for the anchor while some handles on the file are
     *     suspended (every descriptor under the capacity is held); nothing changed
     * @throws IOException the name no longer leads to the file, or could not be removed; nothing
     *     changed
     * @throws IllegalStateException the handle was closed
     */
    public void unlink() throws IOException {
        if (phase(state) == CLOSED) {
            throw new IllegalStateException("unlink() on a closed handle: " + openedPath);
        }
        tracker.registry().unlink(this);
    }

    /**
     * Closes the descriptor (if open) and forgets the handle. When it was the last handle on an
     * unlinked file, the file is deleted for real.
     *
     * @throws IllegalStateException the handle is in use, or already closed
     * @throws IOException close(2) reported an error (the handle is closed all the same)
     */
    public void close() throws IOException {
        for (;;) {
            long s = state;
            int phase = phase(s);
            if (phase == OPEN) {
                long forGood = pinnedForGood ? PIN : 0;
                if ((s & PINS_MASK) != forGood) {
                    throw new IllegalStateException(
                            "close() while in use (" + ((s & PINS_MASK) - forGood) + " acquisition(s) not released): "
                                    + openedPath);
                }
                if (STATE.compareAndSet(this, s, withPhase(s - forGood, BUSY))) {
                    closeOwned(s, true);
                    return;
                }
            } else if (phase == SUSPENDED) {
                if (STATE.compareAndSet(this, s, withPhase(s, BUSY))) {
                    closeOwned(s, false);
                    return;
                }
            } else if (phase == BUSY) {
                awaitSettled();
            } else {
                throw new IllegalStateException("close() on a closed handle: " + openedPath);
            }
        }
    }

    /**
     * For adopted descriptors whose owner closes them itself: forgets the handle without closing
     * anything. The caller must hold a pin (from {@link #acquire()}), which this consumes; other
     * threads' pins may still be released afterwards.
     *
     * @throws IllegalStateException the caller holds no pin, or the handle is closed
     */
    public void untrack() throws IOException {
        for (;;) {
            long s = state;
            if (phase(s) != OPEN || (s & PINS_MASK) == 0) {
                throw new IllegalStateException("untrack() without a pin: " + openedPath);
            }
            if (STATE.compareAndSet(this, s, withPhase(s - PIN, CLOSED))) {
                fd = -1;
                pinnedForGood = false;
                tracker.onClosed(this, true, s >>> USES_SHIFT);
                return;
            }
        }
    }

    // ---- convenience I/O: acquire, one system call, release ----

    /** Reads at the current offset, like read(2); returns -1 at end of file. */
    public int read(byte[] b, int off, int len) throws IOException {
        checkBounds(b, off, len);
        int fd = acquire();
        try {
            byte[] buf = off == 0 ? b : new byte[len];
            int n = JnrSystemCalls.read(fd, buf, len, openedPath);
            if (buf != b && n > 0) {
                System.arraycopy(buf, 0, b, off, n);
            }
            return n == 0 && len > 0 ? -1 : n;
        } finally {
            release();
        }
    }

    /** Reads at {@code position} without moving the offset, like pread(2); -1 at end of file. */
    public int read(byte[] b, int off, int len, long position) throws IOException {
        checkBounds(b, off, len);
        int fd = acquire();
        try {
            byte[] buf = off == 0 ? b : new byte[len];
            int n = (int) JnrSystemCalls.pread(fd, buf, len, position, openedPath);
            if (buf != b && n > 0) {
                System.arraycopy(buf, 0, b, off, n);
            }
            return n == 0 && len > 0 ? -1 : n;
        } finally {
            release();
        }
    }

    /** Writes all of {@code b[off..off+len)} at the current offset (or the end, with O_APPEND). */
    public void write(byte[] b, int off, int len) throws IOException {
        checkBounds(b, off, len);
        int fd = acquire();
        try {
            byte[] buf = off == 0 ? b : Arrays.copyOfRange(b, off, off + len);
            int done = 0;
            while (done < len) {
                byte[] rest = done == 0 ? buf : Arrays.copyOfRange(buf, done, len);
                done += JnrSystemCalls.write(fd, rest, len - done, openedPath);
            }
        } finally {
            release();
        }
    }

    /** Writes all of {@code b[off..off+len)} at {@code position} without moving the offset. */
    public void write(byte[] b, int off, int len, long position) throws IOException {
        checkBounds(b, off, len);
        int fd = acquire();
        try {
            byte[] buf = off == 0 ? b : Arrays.copyOfRange(b, off, off + len);
            int done = 0;
            while (done < len) {
                byte[] rest = done == 0 ? buf : Arrays.copyOfRange(buf, done, len);
                done += (int) JnrSystemCalls.pwrite(fd, rest, len - done, position + done, openedPath);
            }
        } finally {
            release();
        }
    }

    /**
     * Moves the offset to {@code position}, like lseek(2) with SEEK_SET. A suspended handle stays
     * suspended: it will reopen at {@code position} ({@link #seekIfSuspended(long)}).
     */
    public void seek(long position) throws IOException {
        if (position >= 0 && seekIfSuspended(position)) {
            return;
        }
        int fd = acquire();
        try {
            JnrSystemCalls.INSTANCE.seek(fd, position, openedPath);
        } finally {
            release();
        }
    }

    /** The current offset (a suspended handle's saved one, without reopening it). */
    public long position() throws IOException {
        long saved = offsetIfSuspended();
        if (saved >= 0) {
            return saved;
        }
        int fd = acquire();
        try {
            return JnrSystemCalls.INSTANCE.position(fd, openedPath);
        } finally {
            release();
        }
    }

    /** The file's size. */
    public long size() throws IOException {
        int fd = acquire();
        try {
            return JnrSystemCalls.INSTANCE.fstat(fd, openedPath).size();
        } finally {
            release();
        }
    }

    /** Sets the file's size, like ftruncate(2). */
    public void truncate(long size) throws IOException {
        int fd = acquire();
        try {
            JnrSystemCalls.ftruncate(fd, size, openedPath);
        } finally {
            release();
        }
    }

    /** Flushes the file's data and metadata to the device, like fsync(2). */
    public void force() throws IOException {
        int fd = acquire();
        try {
            JnrSystemCalls.fsync(fd, openedPath);
        } finally {
            release();
        }
    }

    @Override
    public String toString() {
        long s = state;
        return "FsHandle[" + openedPath + ", " + phaseName(phase(s)) + ((s & PINS_MASK) != 0 ? ", pins=" + (s & PINS_MASK) : "")
                + "]";
    }

    // ---- package-private: used by the tracker and its victim queue ----

    Inode inode() {
        return inode;
    }

    long lastUse() {
        return (long) LAST_USE.getOpaque(this);
    }

    long usesNotFolded() {
        return state >>> USES_SHIFT;
    }

    String stateName() {
        return phaseName(phase(state));
    }

    /**
     * One line for {@link FdTracker#describe()}: the path it was opened with (and where it is
     * reopened from, when that changed), its state, and why it is held open, if it is:
     * {@code /data/f1 [open, locked]}, {@code /data/tmp3 (now /proc/self/fd/9) [suspended]}.
     */
    String describe() {
        String at = inode.location;
        StringBuilder sb = new StringBuilder(openedPath);
        if (!at.equals(openedPath)) {
            sb.append(" (now ").append(at).append(')');
        }
        sb.append(" [").append(stateName());
        int held = heldFor();
        if (held == HELD_ESCAPED) {
            sb.append(", escaped");
        } else if (held == HELD_LOCKED) {
            sb.append(", locked");
        } else if (held == HELD_DELETED) {
            sb.append(", deleted, kept open");
        } else if (pins() > 0) {
            sb.append(", pinned");
        }
        return sb.append(']').toString();
    }

    /** Whether the handle holds its descriptor and no transition is under way. */
    boolean isOpen() {
        return phase(state) == OPEN;
    }

    /**
     * The descriptor when open, else -1; a moment's view, read without a pin: the number may be
     * closed (and reused for another file) right after. For reopening the file through
     * {@code /proc/self/fd}, where the result's identity is checked.
     */
    int fdIfOpen() {
        int n = fd;
        return phase(state) == OPEN ? n : -1;
    }

    /**
     * Why an open handle's descriptor cannot be suspended for a while, for the stats and for
     * {@link FdTracker}'s decision to wait: {@link TrackerStats#escaped()}, {@code locked},
     * {@code deleted}; 0 when it is not held for a lasting reason (idle, or in use now).
     */
    int heldFor() {
        long s = state;
        if (phase(s) != OPEN) {
            return 0;
        }
        long pins = s & PINS_MASK;
        if (pinnedForGood) {
            return pins == PIN ? HELD_ESCAPED : 0;
        }
        if (pins != 0) {
            return 0;
        }
        Inode i = inode;
        return i.locked() ? HELD_LOCKED : i.keepOpen() ? HELD_DELETED : 0;
    }

    static final int HELD_ESCAPED = 1;
    static final int HELD_LOCKED = 2;
    static final int HELD_DELETED = 3;

    /** Whether it is in use now: pinned beyond its pin for good, or being suspended, restored or closed. */
    boolean inUse() {
        long s = state;
        int phase = phase(s);
        return phase == BUSY || (phase == OPEN && (s & PINS_MASK) > (pinnedForGood ? PIN : 0));
    }

    /**
     * Makes an open handle a suspension candidate again (it left the queue when its file was
     * marked keepOpen, and that was withdrawn). Does nothing if it is queued, busy or not open.
     */
    void requeueIfOpen() {
        tracker.queue().addIfOpen(this, tracker.now());
    }

    /** Sets the shared file state before the handle becomes visible to the victim queue. */
    void publishInode(Inode inode) {
        this.inode = inode;
    }

    /** Makes a freshly opened (or adopted) handle usable. Called once. */
    void publish(Inode inode, int fd, long now) {
        this.inode = inode;
        this.fd = fd;
        LAST_USE.setOpaque(this, now);
        state = phaseBits(OPEN);
    }

    /** Victim selection: moves an idle open handle to BUSY for the caller; false if in use or busy. */
    boolean tryBeginSuspend() {
        long s = state;
        return phase(s) == OPEN && (s & PINS_MASK) == 0 && STATE.compareAndSet(this, s, withPhase(s, BUSY));
    }

    /**
     * Suspends a handle the caller holds BUSY (from {@link #tryBeginSuspend()}). Returns true when
     * the descriptor was closed; false when suspension was refused or failed, in which case the
     * handle is open again (and back in the queue unless it can never be suspended).
     */
    boolean suspendOwned() {
        long s = state;
        if (binding != null && !binding.mayDetach()) {
            backToOpen(s);
            return false;
        }
        String location = suspendableLocation();
        if (location == null) {
            backToOpen(s);
            return false;
        }
        long position;
        try {
            position = tracker.calls.position(fd, location);
        } catch (IOException e) {
            if (binding == null || binding.mayDetach()) {
                tracker.recordError(e); // else the owner closed it meanwhile: a refusal, not an error
            }
            backToOpen(s);
            return false;
        }
        try {
            if (binding != null) {
                binding.detach(fd);
            } else {
                tracker.calls.close(fd, location);
            }
        } catch (IOException | RuntimeException e) {
            if (binding == null || binding.mayDetach()) {
                tracker.recordError(e);
            } // else the owner went away between the look and the detach (collected): a refusal
            if (binding != null) {
                backToOpen(s); // the binding's contract: on failure the descriptor is still attached
                return false;
            }
            // close(2) releases the number even when it reports an error; carry on suspended.
        }
        offset = position;
        fd = -1;
        tracker.onSuspended();
        state = withPhase(s, SUSPENDED);
        return true;
    }

    // ---- internals ----

    /** The path to reopen from, after checking it still leads to this file; null to refuse. */
    private String suspendableLocation() {
        Inode inode = this.inode;
        if (inode.suspensionBlocked()) {
            return null; // kept open, or locked
        }
        String location = inode.location;
        Stat st = tracker.calls.statOrNull(location);
        if (inode.isFile(st)) {
            return location;
        }
        try {
            if (tracker.calls.fstat(fd, location).nlink() == 0) {
                // Deleted while open behind the tracker's back (another process): nothing could
                // reopen it by a name. (The program's own deletes are announced, and anchored.)
                if (!inode.changing() && !inode.unlinked()) {
                    tracker.registry().keepOpen(inode);
                }
                return null;
            }
        } catch (IOException e) {
            tracker.recordError(e);
            return null;
        }
        // Renamed while open: follow it if the new name really leads to this file.
        String now = tracker.calls.currentPath(fd);
        Stat moved = now == null ? null : tracker.calls.statOrNull(now);
        if (inode.isFile(moved)) {
            tracker.registry().relocate(inode, location, now);
            return now;
        }
        return null;
    }

    private void backToOpen(long s) {
        state = withPhase(s, OPEN);
        // Queued after the phase change, and only while still open, so that neither a close nor an
        // unlink that withdraws keepOpen (and requeues the handle itself) can be missed. A handle
        // whose file must stay open leaves the queue until then.
        if (!inode.suspensionBlocked()) {
            requeueIfOpen();
        }
    }

    private int restoreAndPin(long s) throws IOException {
        tracker.onMiss();
        boolean reserved = false;
        int newFd = -1;
        try {
            tracker.reserve(1);
            reserved = true;
            newFd = reopen();
            if (binding != null) {
                binding.attach(newFd);
            }
        } catch (IOException | RuntimeException | Error e) {
            if (newFd >= 0) {
                closeQuietly(newFd);
            }
            if (reserved) {
                tracker.unreserve(1);
            }
            tracker.recordError(e);
            state = withPhase(s + USE, SUSPENDED);
            throw e;
        }
        fd = newFd;
        long now = tracker.tick();
        LAST_USE.setOpaque(this, now);
        tracker.onRestored(this, now);
        state = withPhase(s + USE + PIN, OPEN);
        return newFd;
    }

    private int reopen() throws IOException {
        for (int attempt = 0;; attempt++) {
            String location = inode.location;
            FileChangedException changed;
            int nfd;
            try {
                nfd = tracker.openWithRetry(location, reopenFlags, 0);
            } catch (NoSuchFileException e) {
                nfd = -1;
            }
            if (nfd >= 0) {
                try {
                    Stat st = tracker.calls.fstat(nfd, location);
                    if (inode.isFile(st)) {
                        tracker.calls.seek(nfd, offset, location);
                        return nfd;
                    }
                    changed = new FileChangedException(location + ": the file was replaced while its descriptor was"
                            + " suspended (expected device:inode " + inode.identity() + ", found " + st.key()
                            + "); the handle cannot be restored");
                } catch (IOException | RuntimeException e) {
                    closeQuietly(nfd);
                    throw e;
                }
                closeQuietly(nfd);
            } else {
                changed = new FileChangedException(location + ": the file was deleted or renamed while its descriptor"
                        + " was suspended; the handle cannot be restored");
            }
            // The program may be renaming or deleting the file right now (its name already gone,
            // the tracker not yet told where it went): wait for that, then look again.
            if (attempt < 2 && tracker.registry().awaitNameChange(inode, location)) {
                continue;
            }
            // Renamed or deleted behind the tracker's back while another descriptor of the file is
            // open: reopen it through that one.
            int sibling = tracker.registry().reopenThroughSibling(this, reopenFlags);
            if (sibling >= 0) {
                try {
                    tracker.calls.seek(sibling, offset, location);
                    return sibling;
                } catch (IOException | RuntimeException e) {
                    closeQuietly(sibling);
                    throw e;
                }
            }
            throw changed;
        }
    }

    private void closeOwned(long s, boolean wasOpen) throws IOException {
        IOException failure = null;
        if (wasOpen) {
            try {
                if (binding != null) {
                    binding.detach(fd);
                } else {
                    tracker.calls.close(fd, inode.location);
                }
            } catch (IOException e) {
                failure = e;
            }
            fd = -1;
        }
        pinnedForGood = false;
        state = withPhase(s, CLOSED);
        try {
            tracker.onClosed(this, wasOpen, s >>> USES_SHIFT);
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private long foldOrFail(long s) {
        if ((s & PINS_MASK) == PINS_MASK) {
            throw new IllegalStateException("too many concurrent acquisitions of " + openedPath);
        }
        long uses = s >>> USES_SHIFT;
        if (STATE.compareAndSet(this, s, s & ~(-1L << USES_SHIFT))) {
            tracker.foldUses(uses);
        }
        return state;
    }

    private void awaitSettled() {
        for (int spins = 0; phase(state) == BUSY; spins++) {
            if (spins < 64) {
                Thread.onSpinWait();
            } else if (spins < 128) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000L);
            }
        }
    }

    private void closeQuietly(int fd) {
        try {
            tracker.calls.close(fd, "");
        } catch (IOException ignored) {
            // the number is released anyway; the caller reports the original failure
        }
    }

    private static void checkBounds(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
    }

    private static int phase(long s) {
        return (int) ((s & PHASE_MASK) >>> PHASE_SHIFT);
    }

    private static long phaseBits(int phase) {
        return (long) phase << PHASE_SHIFT;
    }

    private static long withPhase(long s, int phase) {
        return (s & ~PHASE_MASK) | phaseBits(phase);
    }

    private static String phaseName(int phase) {
        switch (phase) {
            case OPEN:
                return "open";
            case SUSPENDED:
                return "suspended";
            case BUSY:
                return "busy";
            default:
                return "closed";
        }
    }
}
