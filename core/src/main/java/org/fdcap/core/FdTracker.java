package org.fdcap.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the number of open file descriptors of a program at or under a capacity by suspending
 * (closing) idle ones and restoring them, invisibly, the next time they are used.
 *
 * <p>Two kinds of descriptors count against the capacity:
 * <ul>
 *   <li><b>suspendable handles</b> ({@link FsHandle}), files the tracker can close and reopen:
 *       {@link #open opened} by the tracker or {@link #adopt adopted} from elsewhere;</li>
 *   <li><b>unsuspendable descriptors</b> (sockets, pipes, ...), which the tracker only counts:
 *       {@link #openUnsuspendable} / {@link #closeUnsuspendable}.</li>
 * </ul>
 * When a new descriptor needs room, an idle handle is suspended: the least recently used one,
 * except that a restored handle used less often than the others is suspended first (see
 * {@link EvictionPolicy}; {@link EvictionPolicy#LRU} gives the seed's exact order). A handle in use ({@linkplain FsHandle#acquire() pinned}) is never
 * suspended; when nothing can be, the request fails with {@link TooManyOpenFilesException} and
 * nothing is left half-done.
 *
 * <p>Thread safety: all methods may be called from any thread. Acquiring an open handle takes no
 * lock; no open(2) or close(2) runs under a lock that acquisition needs. Callbacks run without
 * any tracker lock but must not call back into the same tracker.
 *
 * <p>Linux only: identity checks and rename tracking use {@code /proc/self/fd}.
 */
public final class FdTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FdTracker.class);
    private static final int OS_LIMIT_RETRIES = 16;

    private final int capacity;
    private final boolean leakTracing;
    /**
     * Where each handle was opened, with leak tracing on (else null): kept beside the handles,
     * not in them, as most trackers never trace. Weak keys: a handle closed and dropped leaves.
     */
    private final Map<FsHandle, Throwable> openedAt;
    /** Every system call of the suspend/restore path goes through it; read by handles. */
    final SystemCalls calls;
    private final UnlinkedFilePool pool;
    private final InodeRegistry registry;
    private final EvictionPolicy policy;
    /**
     * Advances on every open and restore; acquisitions stamp handles with it, for the victim
     * queue's order. One clock for every tracker of the process (only the order of the stamps
     * within a tracker matters): the hit path reads it from a static field, not through a
     * reference in each handle (another cache line of the handle on every use).
     */
    static final AtomicLong CLOCK = new AtomicLong();
    /** This tracker's opens and restores: the time base of the eviction policy's aging. */
    private final AtomicLong events = new AtomicLong();
    private final VictimQueue queue;

    /** Descriptors counted against the capacity, including slots reserved for opens under way. */
    private final AtomicInteger used = new AtomicInteger();

    private final Map<Integer, Unsuspendable> unsuspendables = new HashMap<>();

    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger suspended = new AtomicInteger();
    /** Descriptors the tracker keeps on deleted files for their handles (one per file). */
    private final AtomicInteger anchors = new AtomicInteger();
    /** When the last "every descriptor is held" line was logged (System.nanoTime), to log it rarely. */
    private volatile long lastHeldLog = System.nanoTime() - HELD_LOG_NANOS;
    private static final long HELD_LOG_NANOS = 10_000_000_000L;
    private final AtomicLong foldedUses = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong suspensions = new AtomicLong();
    private final AtomicLong suspendedAhead = new AtomicLong();
    /** Keeps descriptors free ahead of need; null when {@link Builder#spare} is 0. */
    private final Evictor evictor;
    private static final int RECENT_RESTORES = 8;
    /** Identity hashes of the threads of the last restores (plain writes: a hint, read by {@link #aProcessorIsFree}). */
    private final int[] recentRestorers = new int[RECENT_RESTORES];
    private final int processors = Runtime.getRuntime().availableProcessors();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong overshoots = new AtomicLong();
    private volatile Throwable lastError;
    private volatile boolean destroyed;
    /** Threads in {@link #reserve} waiting for a pin to be released. */
    private volatile int waiters;
    /**
     * The same, summed over every tracker of the process: what a release reads first, from a
     * static field always in the cache, rather than its own tracker's count (another object,
     * another cache line, on every release).
     */
    private static final AtomicInteger WAITERS_ANYWHERE = new AtomicInteger();
    private final Object released = new Object();

    private FdTracker(Builder b) {
        this.capacity = b.capacity;
        this.leakTracing = b.leakTracing;
        this.openedAt = leakTracing ? Collections.synchronizedMap(new WeakHashMap<>()) : null;
        this.calls = b.calls;
        this.pool = b.unlinkedFilePool == null ? null : new UnlinkedFilePool(b.unlinkedFilePool, calls);
        this.registry = new InodeRegistry(this, pool, calls);
        if (pool != null) {
            pool.removeLeftovers(); // of a process killed before its last handles closed
        }
        this.policy = b.policy;
        this.queue = new VictimQueue(b.policy, b.capacity, events);
        int spare = Math.min(b.spare, b.capacity / 8);
        this.evictor = spare > 0 ? new Evictor(this, spare, b.spareThreads) : null;
    }

    /** Starts the configuration of a tracker. */
    public static Builder builder() {
        return new Builder();
    }

    /** How to build a tracker. Not thread-safe; the tracker it builds is immutable in its settings. */
    public static final class Builder {
        private int capacity = -1;
        private Path unlinkedFilePool;
        private boolean leakTracing;
        private EvictionPolicy policy = EvictionPolicy.SCAN_RESISTANT;
        private SystemCalls calls;
        private int spare;
        /** Null: plain threads named fdcap-evictor (not a lambda here: a class spun by every builder's first use). */
        private java.util.concurrent.ThreadFactory spareThreads;

        private Builder() {
        }

        /**
         * Keeps up to {@code n} descriptors free under the capacity ahead of need (at most an
         * eighth of the capacity; 0, the default, for none): a background thread, started the
         * first time the room runs low, suspends idle handles while the program's threads compute,
         * so that a restore on a program's thread makes only its own system calls. The handles it
         * suspends are the ones an open would have suspended a moment later; the price is that
         * {@code n} fewer descriptors stay open at the cap. Suspensions it made are counted in
         * {@link TrackerStats#suspendedAhead()}.
         */
        public Builder spare(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("spare must be >= 0, was " + n);
            }
            this.spare = n;
            return this;
        }

        /** Makes the thread of {@link #spare} (a daemon named {@code fdcap-evictor} by default). */
        public Builder spareThreads(java.util.concurrent.ThreadFactory threads) {
            this.spareThreads = java.util.Objects.requireNonNull(threads, "threads");
            return this;
        }

        /** The most descriptors open at once (required; 0 refuses every open). */
        public Builder capacity(int capacity) {
            if (capacity < 0) {
                throw new IllegalArgumentException("capacity must be >= 0, was " + capacity);
            }
            this.capacity = capacity;
            return this;
        }

        /**
         * An absolute path (created on demand, mode 0700, removed when empty) where files whose
         * last name is removed while they have handles are kept until their last handle closes,
         * so that they cost no descriptor. It must be on the same filesystem as the files; for a
         * file on another one, and without a pool, the tracker keeps one descriptor per such file
         * instead (its anchor). Files a killed process left there are deleted when the tracker is
         * built.
         */
        public Builder unlinkedFilePool(Path dir) {
            this.unlinkedFilePool = dir;
            return this;
        }

        /** Records where each handle was opened, for the leak report of {@link #destroy()}. */
        public Builder leakTracing(boolean on) {
            this.leakTracing = on;
            return this;
        }

        /**
         * How the handle to suspend is chosen; {@link EvictionPolicy#SCAN_RESISTANT} by default,
         * {@link EvictionPolicy#LRU} for the seed's exact least-recently-used order.
         */
        public Builder evictionPolicy(EvictionPolicy policy) {
            this.policy = java.util.Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * How the tracker makes its system calls (open, close, lseek, stat, link, unlink...):
         * {@link SystemCalls#jnrPosix()} by default. One tracker uses one implementation for all
         * of them; trackers with different ones may coexist.
         */
        public Builder systemCalls(SystemCalls calls) {
            this.calls = java.util.Objects.requireNonNull(calls, "calls");
            return this;
        }

        public FdTracker build() {
            if (capacity < 0) {
                throw new IllegalStateException("capacity not set");
            }
            if (calls == null) {
                calls = SystemCalls.jnrPosix();
            }
            return new FdTracker(this);
        }
    }

    /** The capacity this tracker was built with. */
    public int capacity() {
        return capacity;
    }

    /**
     * How many more descriptors fit under the capacity now without suspending a handle: the
     * capacity less the open handles, the unsuspendable descriptors and the opens under way; 0 at
     * the cap (or over it, after adoptions). A moment's view: other threads may take the room.
     */
    public int room() {
        return Math.max(0, capacity - used.get());
    }

    /**
     * The descriptors kept free ahead of need ({@link Builder#spare}, at most an eighth of the
     * capacity); 0 when none are.
     */
    public int spare() {
        return evictor == null ? 0 : evictor.spare;
    }

    /** Whether the calling thread is suspending handles ahead of need ({@link Builder#spare}), for bindings. */
    public static boolean suspendingAhead() {
        return Evictor.AHEAD.get() != null;
    }

    /** The eviction policy this tracker was built with. */
    public EvictionPolicy evictionPolicy() {
        return policy;
    }

    /**
     * Opens {@code path} with POSIX {@code flags} ({@link OpenFlags}) and {@code mode} (used only
     * when the file is created) and returns a suspendable handle on it, pinned by nobody. May
     * suspend the least recently used handle to make room. A handle reopens with the creation
     * flags ({@code O_CREAT}, {@code O_EXCL}, {@code O_TRUNC}) removed.
     *
     * @throws TooManyOpenFilesException no room could be made; nothing was opened
     * @throws IOException the open failed (the exception names the file and the errno)
     * @throws IllegalArgumentException {@code O_TMPFILE} (such a file could never be reopened)
     */
    public FsHandle open(Path path, int flags, int mode) throws IOException {
        checkAlive();
        if ((flags & OpenFlags.O_TMPFILE) == OpenFlags.O_TMPFILE) {
            throw new IllegalArgumentException("O_TMPFILE handles cannot be suspended and restored: " + path);
        }
        String name = path.toAbsolutePath().toString();
        reserve(1);
        int fd;
        try {
            fd = openWithRetry(name, flags, mode);
        } catch (IOException | RuntimeException e) {
            unreserve(1);
            throw e;
        }
        try {
            return register(fd, name, flags, null);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            unreserve(1);
            throw e;
        }
    }

    /**
     * Opens {@code path} with {@link java.nio.file.StandardOpenOption}s, files created with mode
     * 0666 less the umask, as {@link java.nio.file.Files#newByteChannel} does.
     *
     * @see #open(Path, int, int)
     * @see OpenFlags#fromOptions
     */
    public FsHandle open(Path path, java.nio.file.OpenOption... options) throws IOException {
        return open(path, OpenFlags.fromOptions(Set.of(options)), 0666);
    }

    /**
     * Takes over a descriptor opened elsewhere (for instance by the JDK) and returns a suspendable
     * handle on it. It is counted against the capacity, and idle handles are suspended to make
     * room; as the descriptor is already open, it is adopted even when no room can be made, and
     * the overshoot is counted ({@link TrackerStats#overshoots()}). To make that impossible, take
     * the slot before the descriptor is opened: {@link #reserveSlot()} and
     * {@link #adopt(int, String, int, FdBinding, Slot)}. Suspension and restore go through
     * {@code binding}.
     *
     * @param fd the open descriptor
     * @param path the path it was opened with, to reopen it by
     * @param flags the flags it was opened with
     * @throws IOException fstat on {@code fd} failed; nothing was adopted
     */
    public FsHandle adopt(int fd, Path path, int flags, FdBinding binding) throws IOException {
        return adopt(fd, path.toAbsolutePath().toString(), flags, binding, null);
    }

    /**
     * {@link #adopt(int, Path, int, FdBinding)} into a slot reserved before the descriptor was
     * opened, so that the capacity is never exceeded, not even for a moment; with a null
     * {@code slot}, as that method. The slot is used up either way (given back on failure).
     *
     * @param path the absolute path it was opened with, to reopen it by
     * @throws IllegalArgumentException {@code path} is not absolute, or the slot was used already
     */
    public FsHandle adopt(int fd, String path, int flags, FdBinding binding, Slot slot) throws IOException {
        checkAlive();
        java.util.Objects.requireNonNull(binding, "binding");
        if (!path.startsWith("/")) {
            if (slot != null) {
                slot.release();
            }
            throw new IllegalArgumentException("not an absolute path: " + path);
        }
        if (slot != null) {
            slot.take(this);
        } else if (!reserve(1, false)) {
            // Already open: never wait for room, count the overshoot instead.
            used.incrementAndGet();
            overshoots.incrementAndGet();
        }
        try {
            return register(fd, path, flags, binding);
        } catch (IOException | RuntimeException e) {
            unreserve(1);
            throw e;
        }
    }

    /**
     * Reserves room for one descriptor about to be opened elsewhere and adopted: suspends an idle
     * handle when the capacity is reached, waits like {@link #open} for pins in use to be
     * released, and fails at once when every descriptor is held for a lasting reason. Give the
     * slot to {@link #adopt(int, String, int, FdBinding, Slot)}, or {@link Slot#release()} it.
     *
     * @throws TooManyOpenFilesException no room could be made; nothing is held
     */
    public Slot reserveSlot() throws TooManyOpenFilesException {
        checkAlive();
        reserve(1);
        return new Slot(this);
    }

    /** One descriptor's room under the capacity, reserved ahead of an open ({@link #reserveSlot()}). */
    public static final class Slot {
        private FdTracker owner;

        private Slot(FdTracker owner) {
            this.owner = owner;
        }

        /** Gives the room back (the descriptor was not opened, or not adopted). Idempotent. */
        public synchronized void release() {
            if (owner != null) {
                owner.unreserve(1);
                owner = null;
            }
        }

        private synchronized void take(FdTracker by) {
            if (owner != by) {
                throw new IllegalArgumentException(owner == null ? "the slot was used or released already"
                        : "the slot belongs to another tracker");
            }
            owner = null;
        }
    }

    // ---- names changing under open files, and locks ----

    /**
     * The program is about to remove the name {@code path} (delete it, or replace it by renaming
     * or copying another file over it). When it leads to a tracked file, the file is kept
     * reachable for its handles once the name is gone: linked into the unlinked-file pool, or
     * given one descriptor of the tracker's own, its anchor, through which every handle on the
     * file is reopened (closed with the last of them). Call {@link NameChange#done()} after the
     * removal, whether or not it happened.
     *
     * @throws TooManyOpenFilesException the anchor needs room, none can be made (every descriptor
     *     is held for a lasting reason) and some of the file's handles are suspended; nothing was
     *     prepared, and the name must not be removed (the program should see the failure)
     * @throws IOException the preparation failed otherwise; nothing was prepared
     */
    public NameChange beforeRemove(String path) throws IOException {
        checkAlive();
        return registry.beforeRemove(absolute(path));
    }

    /**
     * The program is about to rename {@code from} to {@code to}. A tracked file at {@code from} is
     * reopened by its new name from then on; a tracked file at {@code to} loses that name (as
     * {@link #beforeRemove}); tracked files under a directory {@code from} are reopened under
     * {@code to}. Call {@link NameChange#done()} after the rename, whether or not it happened.
     *
     * @throws TooManyOpenFilesException see {@link #beforeRemove}, for the file at {@code to}
     * @throws IOException the preparation failed otherwise; nothing was prepared
     */
    public NameChange beforeRename(String from, String to) throws IOException {
        checkAlive();
        return registry.beforeRename(absolute(from), absolute(to));
    }

    /**
     * The process took a lock (an {@code fcntl} record lock, as {@code FileChannel.lock} takes) on
     * the file open at {@code fd}, which may or may not be one of the tracker's: no descriptor of
     * that file is suspended until the hold is released (see {@link LockHold}).
     *
     * @param path the file's path, for messages
     * @throws IOException fstat on {@code fd} failed; nothing is held
     */
    public LockHold lockTaken(int fd, String path) throws IOException {
        checkAlive();
        return registry.lockTaken(calls.fstat(fd, path), path);
    }

    private static String absolute(String path) {
        return path.startsWith("/") ? path : new java.io.File(path).getAbsolutePath();
    }

    /**
     * Opens the anchor of a file about to lose its name; -1 when {@code path} leads elsewhere now.
     * Anchors may take half the capacity at most: beyond, the removal is refused (the program's
     * delete fails, and a program that retries deletes later, as Lucene does, carries on with the
     * file still named and its handles suspendable by name), so that files in use always have room.
     *
     * @throws TooManyOpenFilesException the anchors already take half the capacity, or no room
     */
    int openAnchor(String path, Inode inode) throws IOException {
        int budget = Math.max(1, capacity / 2);
        if (anchors.get() >= budget) {
            throw new TooManyOpenFilesException("Too many open files: " + anchors.get() + " deleted files kept"
                    + " for their descriptors already take half the capacity of " + capacity + "; " + path
                    + " is not removed (an unlinked-file pool would keep them without descriptors)");
        }
        reserve(1);
        int fd;
        try {
            fd = openWithRetry(path, InodeRegistry.ANCHOR_FLAGS, 0);
        } catch (IOException | RuntimeException e) {
            unreserve(1);
            throw e;
        }
        try {
            if (inode.isFile(calls.fstat(fd, path))) {
                anchors.incrementAndGet();
                return fd;
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            unreserve(1);
            throw e;
        }
        closeQuietly(fd);
        unreserve(1);
        return -1;
    }

    /** Closes an anchor whose file has no handle left, and frees its slot. */
    void closeAnchor(int fd) {
        closeQuietly(fd);
        anchors.decrementAndGet();
        unreserve(1);
    }

    /**
     * Reserves room for {@code names.size()} unsuspendable descriptors, suspending handles as
     * needed, then calls {@code opener} to open them and tracks what it returns. All or nothing:
     * when room cannot be made for all of them, nothing is opened.
     *
     * @param names one name per descriptor, for logs and leak reports
     * @return the descriptors the opener returned
     * @throws TooManyOpenFilesException not enough room could be made; the opener was not called
     * @throws IllegalArgumentException a returned descriptor is already tracked (or returned
     *     twice); nothing is tracked and the descriptors remain the caller's to close
     * @throws IOException whatever the opener threw, untouched; nothing is tracked
     */
    public int[] openUnsuspendable(List<String> names, UnsuspendableOpener opener) throws IOException {
        checkAlive();
        int count = names.size();
        if (count == 0) {
            return new int[0];
        }
        reserve(count);
        int[] fds;
        try {
            fds = opener.open(count);
        } catch (IOException | RuntimeException | Error e) {
            unreserve(count);
            throw e;
        }
        synchronized (unsuspendables) {
            String problem = null;
            if (fds == null || fds.length != count) {
                problem = "the opener returned " + (fds == null ? "null" : fds.length + " descriptors")
                        + " instead of " + count;
            } else {
                Set<Integer> seen = new HashSet<>();
                for (int fd : fds) {
                    if (fd < 0) {
                        problem = "the opener returned an invalid descriptor " + fd;
                    } else if (unsuspendables.containsKey(fd) && !unsuspendables.get(fd).closing) {
                        // A closing entry's closer may have closed the number already: the kernel
                        // may hand it out again before closeUnsuspendable() has returned.
                        problem = "descriptor " + fd + " is already tracked (as '" + unsuspendables.get(fd).name + "')";
                    } else if (!seen.add(fd)) {
                        problem = "the opener returned descriptor " + fd + " twice";
                    }
                    if (problem != null) {
                        break;
                    }
                }
            }
            if (problem != null) {
                unreserve(count);
                throw new IllegalArgumentException(problem);
            }
            Throwable where = leakTracing ? new Throwable("opened here") : null;
            for (int i = 0; i < count; i++) {
                unsuspendables.put(fds[i], new Unsuspendable(names.get(i), where));
            }
        }
        return fds.clone();
    }

    /**
     * Untracks unsuspendable descriptors and has {@code closer} close them. All or nothing: every
     * descriptor must be tracked, or nothing happens.
     *
     * @throws IllegalArgumentException a descriptor is not tracked (or listed twice); nothing changed
     * @throws IOException whatever the closer threw, untouched; the descriptors stay tracked
     */
    public void closeUnsuspendable(int[] fds, UnsuspendableCloser closer) throws IOException {
        fds = fds.clone();
        List<Unsuspendable> entries = new ArrayList<>(fds.length);
        synchronized (unsuspendables) {
            Set<Integer> seen = new HashSet<>();
            for (int fd : fds) {
                Unsuspendable u = unsuspendables.get(fd);
                if (u == null || u.closing) {
                    throw new IllegalArgumentException("descriptor " + fd + " is not tracked by this tracker");
                }
                if (!seen.add(fd)) {
                    throw new IllegalArgumentException("descriptor " + fd + " is listed twice");
                }
                entries.add(u);
            }
            for (Unsuspendable u : entries) {
                u.closing = true;
            }
        }
        try {
            closer.close(fds.clone());
        } catch (IOException | RuntimeException | Error e) {
            int reused = 0;
            synchronized (unsuspendables) {
                for (int i = 0; i < fds.length; i++) {
                    if (unsuspendables.get(fds[i]) == entries.get(i)) {
                        entries.get(i).closing = false;
                    } else {
                        reused++; // closed after all, and its number tracked again by someone else
                    }
                }
            }
            unreserve(reused);
            throw e;
        }
        synchronized (unsuspendables) {
            for (int i = 0; i < fds.length; i++) {
                // Only our own entry: the number may already be tracked again (see openUnsuspendable).
                unsuspendables.remove(fds[i], entries.get(i));
            }
        }
        unreserve(fds.length);
    }

    /**
     * Suspends up to {@code n} idle handles now, least recently used first, and frees their slots.
     * For a caller that learns that descriptors are short outside the tracker's view (the OS
     * refused an open with {@code EMFILE} because of sockets or pipes the tracker does not count).
     *
     * @return how many handles were suspended: fewer than {@code n} when fewer are idle
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public int suspendIdle(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot suspend a negative number of handles: " + n);
        }
        checkAlive();
        int suspended = 0;
        while (suspended < n && suspendOne()) {
            suspended++;
        }
        unreserve(suspended);
        return suspended;
    }

    /** The counters and gauges now. */
    public TrackerStats stats() {
        long uses = foldedUses.get();
        Sums sums = new Sums();
        registry.forEachHandle(sums);
        uses += sums.uses;
        int pinned = sums.pinned;
        int[] held = sums.held;
        int unsusp;
        synchronized (unsuspendables) {
            unsusp = unsuspendables.size();
        }
        return new TrackerStats(capacity, uses, misses.get(), suspensions.get(), errors.get(), overshoots.get(),
                open.get(), suspended.get(), pinned, unsusp, held[FsHandle.HELD_ESCAPED], held[FsHandle.HELD_LOCKED],
                held[FsHandle.HELD_DELETED], anchors.get(), suspendedAhead.get());
    }

    /** What {@link #stats()} adds up over the handles (a class, not a lambda: the agent reads the stats as it starts). */
    private static final class Sums implements java.util.function.Consumer<FsHandle> {
        long uses; // not folded yet
        int pinned;
        final int[] held = new int[4]; // by FsHandle.HELD_*: escaped, locked, deleted

        @Override
        public void accept(FsHandle h) {
            uses += h.usesNotFolded();
            if (h.pins() > 0) {
                pinned++;
            }
            held[h.heldFor()]++;
        }
    }

    /** The first {@code max} pinned handles, as "path (pins)", for the message of a refusal. */
    private String pinnedSummary(int max) {
        StringBuilder sb = new StringBuilder();
        int[] count = {0};
        registry.forEachHandle(h -> {
            int pins = h.pins();
            if (pins > 0 && count[0]++ < max) {
                sb.append(sb.length() == 0 ? "" : ", ").append(h.path()).append(" (").append(pins).append(')');
            }
        });
        if (count[0] > max) {
            sb.append(", ").append(count[0] - max).append(" more");
        }
        return count[0] == 0 ? "none" : sb.toString();
    }

    /** The last failure counted in {@link TrackerStats#errors()}, or {@code null}. */
    public Throwable lastError() {
        return lastError;
    }

    /**
     * Describes the tracker's state: the counters, then every handle (open ones from the least
     * recently used, then suspended ones), then every unsuspendable descriptor.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder("fd tracker: ").append(stats());
        sb.append("\n  open handles (least recently used first):");
        List<FsHandle> queued = new ArrayList<>();
        queue.forEach(queued::add);
        for (FsHandle h : queued) {
            sb.append("\n    ").append(h.describe());
        }
        Set<FsHandle> inQueue = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        inQueue.addAll(queued);
        List<FsHandle> others = new ArrayList<>();
        registry.forEachHandle(h -> {
            if (!inQueue.contains(h)) {
                others.add(h);
            }
        });
        others.sort(Comparator.comparing(FsHandle::path));
        sb.append("\n  other handles:");
        for (FsHandle h : others) {
            sb.append("\n    ").append(h.describe());
        }
        sb.append("\n  unsuspendable descriptors:");
        synchronized (unsuspendables) {
            unsuspendables.forEach((fd, u) -> sb.append("\n    ").append(u.name).append(" [fd ").append(fd).append(']'));
        }
        return sb.toString();
    }

    /** Logs {@link #describe()} at INFO. */
    public void log() {
        LOG.info("{}", describe());
    }

    /**
     * Destroys the tracker: it refuses new opens from now on, and reports what is still tracked
     * (logged as a warning when not empty). Handles still open keep working until closed; nothing
     * is closed here.
     */
    public LeakReport destroy() {
        destroyed = true;
        if (evictor != null) {
            evictor.stop();
        }
        // No lambdas, and comparators only for something to sort: the agent's start destroys the
        // tracker of its warm-up, and each lambda there was a class spun while the program waited.
        List<LeakReport.LeakedHandle> handles = new ArrayList<>();
        registry.forEachHandle(new java.util.function.Consumer<FsHandle>() {
            @Override
            public void accept(FsHandle h) {
                handles.add(new LeakReport.LeakedHandle(h.path(), h.stateName(), h.pins(),
                        openedAt == null ? null : openedAt.get(h)));
            }
        });
        if (handles.size() > 1) {
            handles.sort(Comparator.comparing(LeakReport.LeakedHandle::path));
        }
        List<LeakReport.LeakedFd> fds = new ArrayList<>();
        synchronized (unsuspendables) {
            for (Map.Entry<Integer, Unsuspendable> e : unsuspendables.entrySet()) {
                Unsuspendable u = e.getValue();
                fds.add(new LeakReport.LeakedFd(e.getKey(), u.name, u.openedAt));
            }
        }
        if (fds.size() > 1) {
            fds.sort(Comparator.comparingInt(LeakReport.LeakedFd::fd));
        }
        LeakReport report = new LeakReport(handles, fds);
        if (!report.isEmpty()) {
            LOG.warn("fd tracker destroyed with leaks: {}", report);
        }
        return report;
    }

    /** Same as {@link #destroy()}, for try-with-resources. */
    @Override
    public void close() {
        destroy();
    }

    // ---- package-private: the handles' side ----

    InodeRegistry registry() {
        return registry;
    }

    VictimQueue queue() {
        return queue;
    }

    long now() {
        return CLOCK.get();
    }

    /** An open or a restore: advances the aging and returns a new stamp. */
    long tick() {
        events.incrementAndGet();
        return CLOCK.incrementAndGet();
    }

    void onMiss() {
        long n = misses.incrementAndGet();
        if (evictor != null) {
            recentRestorers[(int) n & (RECENT_RESTORES - 1)] = System.identityHashCode(Thread.currentThread());
        }
    }

    /**
     * Whether fewer threads restore handles now than there are processors, so that the thread of
     * {@link Builder#spare} has one to run on: judged from the threads of the last few restores.
     * With as many threads restoring as processors it would only take their time (measured: two
     * threads on two cores, 8 us per read without it, 11 with it), and they make room themselves.
     */
    boolean aProcessorIsFree() {
        int[] seen = recentRestorers;
        int distinct = 0;
        for (int i = 0; i < seen.length; i++) {
            int t = seen[i];
            if (t == 0) {
                continue;
            }
            boolean again = false;
            for (int j = 0; j < i; j++) {
                if (seen[j] == t) {
                    again = true;
                    break;
                }
            }
            if (!again && ++distinct >= processors) {
                return false;
            }
        }
        return true;
    }

    void onSuspended() {
        open.decrementAndGet();
        suspended.incrementAndGet();
        suspensions.incrementAndGet();
    }

    void onRestored(FsHandle h, long now) {
        suspended.decrementAndGet();
        open.incrementAndGet();
        queue.addRestored(h, now);
    }

    void onClosed(FsHandle h, boolean wasOpen, long uses) throws IOException {
        foldedUses.addAndGet(uses);
        if (wasOpen) {
            queue.remove(h);
            open.decrementAndGet();
            unreserve(1);
        } else {
            suspended.decrementAndGet();
        }
        registry.detach(h);
    }

    void foldUses(long uses) {
        foldedUses.addAndGet(uses);
    }

    void recordError(Throwable t) {
        errors.incrementAndGet();
        lastError = t;
    }

    /**
     * Reserves {@code n} slots, suspending the least recently used idle handles as needed; all or
     * nothing. When every open descriptor is pinned, waits for other threads to release one (see
     * {@link #awaitRelease}) before giving up.
     */
    void reserve(int n) throws TooManyOpenFilesException {
        if (!reserve(n, true)) {
            TrackerStats st = stats();
            boolean lasting = st.pinned() <= st.escaped() && st.active() <= st.held() + st.unsuspendable();
            throw new TooManyOpenFilesException("Too many open files: the capacity of " + capacity
                    + " descriptors is reached and nothing can be suspended to make room for " + n + " more"
                    + (lasting ? ": every descriptor is held for a lasting reason" : "") + " (" + st + "; in use: "
                    + pinnedSummary(5) + ")");
        }
    }

    /** {@link #reserve(int)}; false (and nothing held) instead of the exception. */
    private boolean reserve(int n, boolean wait) {
        int held = 0;
        long[] window = null;
        while (held < n) {
            int u = used.get();
            if (u < capacity) {
                int take = Math.min(capacity - u, n - held);
                if (used.compareAndSet(u, u + take)) {
                    held += take;
                    if (evictor != null) {
                        evictor.reserved(capacity - u - take);
                    }
                }
                continue;
            }
            if (evictor != null) {
                evictor.reserved(0); // behind (or nothing idle): make room here, and wake it
            }
            if (suspendOne()) {
                held++; // the victim's slot passes straight to us
                continue;
            }
            if (wait && worthWaiting(held)) {
                if (window == null) {
                    long now = System.nanoTime();
                    window = new long[] {now + MAX_WAIT_NANOS, now + QUIET_NANOS, -1, 0};
                }
                if (awaitRelease(window)) {
                    continue;
                }
            }
            unreserve(held);
            reinterrupt(window);
            return false;
        }
        reinterrupt(window);
        return true;
    }

    /**
     * Whether waiting can give room: some descriptor under the capacity is held only for a
     * moment (a handle in use by another thread, a suspension, restore or close under way, an
     * open between its reservation and its descriptor). When every one is held for a lasting
     * reason (unsuspendable, pinned for good, on a locked or deleted file, an anchor), no release
     * will come, and the open fails at once; that is logged (at most every 10 s) with the reasons.
     *
     * @param mine slots the caller holds already (for a multi-slot reservation)
     */
    private boolean worthWaiting(int mine) {
        int[] held = new int[4];
        boolean[] inUse = new boolean[1];
        registry.forEachHandle(h -> {
            held[h.heldFor()]++;
            if (h.inUse()) {
                inUse[0] = true;
            }
        });
        if (inUse[0]) {
            return true;
        }
        int unsusp;
        synchronized (unsuspendables) {
            unsusp = unsuspendables.size();
        }
        int lasting = unsusp + anchors.get() + held[FsHandle.HELD_ESCAPED] + held[FsHandle.HELD_LOCKED]
                + held[FsHandle.HELD_DELETED];
        if (used.get() - mine > lasting) {
            return true; // opens or restores between their reservation and their descriptor
        }
        long now = System.nanoTime();
        long last = lastHeldLog;
        if (now - last >= HELD_LOG_NANOS) {
            lastHeldLog = now;
            LOG.warn("Too many open files: every descriptor under the capacity of {} is held for a lasting reason"
                    + " ({} unsuspendable, {} escaped into streams or native code, {} on locked files, {} anchors of"
                    + " deleted files, {} deleted files kept open); opens fail until one is closed or unlocked{}",
                    capacity, unsusp, held[FsHandle.HELD_ESCAPED], held[FsHandle.HELD_LOCKED], anchors.get(),
                    held[FsHandle.HELD_DELETED], anchors.get() == 0 ? "" : "; an unlinked-file pool on the files'"
                            + " filesystem (the agent's fdcap.unlinked.dir) keeps deleted files without a descriptor");
        }
        return false;
    }

    private static void reinterrupt(long[] window) {
        if (window != null && window[3] != 0) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * How long {@link #reserve} waits in all when every descriptor stays pinned, and how long it
     * waits without any pin being released before it concludes that none will be (every
     * descriptor pinned for good, or by this very thread).
     */
    private static final long MAX_WAIT_NANOS = 2_000_000_000L;
    private static final long QUIET_NANOS = 200_000_000L;

    /**
     * Every open descriptor is pinned: with several threads, that is usually for the length of
     * an operation or two, so failing at once would turn a moment's contention into an error the
     * program would not have had without the cap. Waits for a release (or a close) anywhere,
     * then lets the caller try again; false once {@code window} ({deadline, quiet deadline,
     * releases seen, interrupted}) is over. A release extends the quiet deadline.
     */
    private boolean awaitRelease(long[] window) {
        long now = System.nanoTime();
        long until = Math.min(window[0], window[1]);
        if (now - until >= 0) {
            return false;
        }
        synchronized (released) {
            if (window[2] < 0) {
                window[2] = releases;
            }
            waiters++;
            WAITERS_ANYWHERE.incrementAndGet();
            try {
                // A release between the caller's last look and here is not missed for long: the
                // wait is short and the caller looks again.
                released.wait(Math.max(1, Math.min(10, (until - now) / 1_000_000)));
            } catch (InterruptedException e) {
                window[3] = 1; // kept for the caller's thread, after the wait: file I/O is not interruptible
            } finally {
                waiters--;
                WAITERS_ANYWHERE.decrementAndGet();
            }
            if (window[2] != releases) {
                window[1] = System.nanoTime() + QUIET_NANOS;
                window[2] = releases;
            }
        }
        return true;
    }

    private long releases; // guarded by released: how many times onRelease woke waiters

    /** Whether a thread waits in {@link #reserve} of any tracker (then a release calls {@link #onRelease}). */
    static boolean anyWaiters() {
        return WAITERS_ANYWHERE.get() != 0;
    }

    /** A pin was released or a slot freed: wakes the threads waiting in {@link #reserve}, if any. */
    void onRelease() {
        if (waiters != 0) {
            synchronized (released) {
                releases++;
                released.notifyAll();
            }
        }
    }

    void unreserve(int n) {
        if (n > 0) {
            used.addAndGet(-n);
            onRelease();
        }
    }

    /**
     * open(2), and when the OS itself runs out of descriptors (EMFILE/ENFILE: descriptors the
     * tracker does not see), suspends more handles and retries.
     */
    int openWithRetry(String path, int flags, int mode) throws IOException {
        for (int attempt = 0;; attempt++) {
            try {
                return calls.open(path, flags, mode);
            } catch (PosixException e) {
                if (!e.outOfDescriptors()) {
                    throw e;
                }
                if (attempt >= OS_LIMIT_RETRIES || !suspendOne()) {
                    TooManyOpenFilesException t = new TooManyOpenFilesException("Too many open files: the system"
                            + " refused to open " + path + " (" + e.getReason()
                            + ") and no descriptor could be suspended to make room");
                    t.initCause(e);
                    throw t;
                }
                unreserve(1); // we still hold our own slot; the victim's goes back to the pool
            }
        }
    }

    /**
     * For the {@link Evictor}: suspends one idle handle and frees its slot; false when nothing
     * idle is left (or the tracker is destroyed).
     */
    boolean suspendAhead() {
        if (destroyed || !suspendOne()) {
            return false;
        }
        suspendedAhead.incrementAndGet();
        unreserve(1);
        return true;
    }

    /** Suspends one idle handle; false when none can be. The freed slot stays counted as used. */
    private boolean suspendOne() {
        for (int attempts = queue.size() + 1; attempts > 0; attempts--) {
            FsHandle victim = queue.pollVictim();
            if (victim == null) {
                return false;
            }
            if (victim.suspendOwned()) {
                return true;
            }
        }
        return false;
    }

    private FsHandle register(int fd, String path, int flags, FdBinding binding) throws IOException {
        Stat st = calls.fstat(fd, path);
        FsHandle h = new FsHandle(this, path, flags, binding);
        if (openedAt != null) {
            openedAt.put(h, new Throwable("opened here"));
        }
        Inode inode = registry.attach(h, st.key(), path);
        open.incrementAndGet();
        long now = tick();
        h.publishInode(inode);
        queue.add(h, now);
        h.publish(inode, fd, now);
        return h;
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("the tracker was destroyed");
        }
    }

    void closeQuietly(int fd) {
        try {
            calls.close(fd, "");
        } catch (IOException ignored) {
            // reporting the original failure matters more
        }
    }

    private static final class Unsuspendable {
        final String name;
        final Throwable openedAt;
        boolean closing;

        Unsuspendable(String name, Throwable openedAt) {
            this.name = name == null ? "unnamed" : name;
            this.openedAt = openedAt;
        }
    }
}
