package org.fdcap.agent.managed;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.ref.ReferenceQueue;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.agent.config.AgentConfig;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.agent.jdk.NativeCalls;
import org.fdcap.agent.ops.LeakLog;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.fdcap.core.LockHold;
import org.fdcap.core.NameChange;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.TooManyOpenFilesException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of {@link FdBridge}: which {@link FileDescriptor}s are managed (an identity
 * map holding them weakly), and what each instrumented point does with the tracker.
 *
 * <p>Rules it implements: a descriptor is managed when a {@code RandomAccessFile} or
 * {@code FileChannel.open} opens a regular file that the include/exclude globs allow (never the
 * agent jar), room for it being made before the JDK opens it; a channel from {@code getChannel()}
 * shares its file's handle; an operation pins (restoring first) and unpins; close restores, lets
 * the JDK close, and untracks; a descriptor that escapes into a stream (or through
 * {@code getFD()} with {@code fdcap.getfd=pin}) is pinned for good; while a lock is held on a
 * file none of its descriptors is suspended; the program's deletes and renames are announced to
 * the tracker, which follows them; a descriptor object collected without close gives its slot
 * back (the JDK's own cleanup closes the number).
 */
public final class ManagedFiles implements FdBridge.Hooks {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedFiles.class);
    /** Handles suspended beyond need when the OS refuses an open for lack of descriptors. */
    private static final int HEADROOM = 8;
    private static final int RECLAIM_WAITS = 200;
    private static final long RECLAIM_WAIT_MILLIS = 5;
    /**
     * Set while this thread is inside the tracker on a slow path (adopting a descriptor, making
     * room): an open that the tracker's own work triggers on this thread (a log file, say) is
     * then left alone instead of re-entering the tracker. The hot path (pin/unpin) never needs it.
     */
    private static final ThreadLocal<int[]> IN_TRACKER = new ThreadLocal<>() {
        @Override
        protected int[] initialValue() {
            return new int[1]; // a subclass, not withInitial: no lambda to spin at start
        }
    };
    /** What this thread is doing inside the tracker (IN_TRACKER), for the reason of a suspension. */
    private static final int OUTSIDE = 0;
    private static final int ADOPTING = 1;
    private static final int MAKING_ROOM = 2;
    /** Looking at a descriptor object opened before the attach (may load a class: no re-entry). */
    private static final int INSPECTING = 3;
    /** The tracker's background thread, suspending handles ahead of need (fdcap.spare). */
    private static final int AHEAD = 4;

    private final FdTracker tracker;
    private final AgentConfig.PathFilter filter;
    private final String agentJar;
    /** The agent's own log file (never managed: the tracker's path must not wait on it), or null. */
    private final String agentLog;
    private final ManagedTable managed = new ManagedTable();
    /**
     * What the reaper waits on: descriptor objects ({@link ManagedFd}) and locks ({@link HeldLock})
     * collected. One queue for both: a lock whose channel (one the agent may not manage) was dropped
     * unclosed wakes the reaper by itself, with no descriptor object collected along with it.
     */
    private final ReferenceQueue<Object> collected = new ReferenceQueue<>();
    /**
     * The locks taken through FileChannel.lock/tryLock and not released yet, by FileLock (whose
     * equals is identity), each with the tracker's hold on its file. Weakly: a lock whose channel
     * was collected without close ends its hold when the reaper sees it collected.
     */
    private final Map<Object, HeldLock> locks = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    /**
     * Attach mode: files (ManagedFd's digest of dev, ino) locked by this process before the agent
     * started, from /proc/locks: their descriptors are held open for good when adopted (the release
     * of a lock taken before cannot be seen).
     */
    private final Set<Long> lockedBefore = ConcurrentHashMap.newKeySet();
    /** Records opening stacks and reports leaks ({@code fdcap.leaks=true}); null when off. */
    private final LeakLog leaks;
    /** Where each managed file was opened, kept only when {@link #leaks} is on (not in ManagedFd: its size). */
    private final Map<ManagedFd, Throwable> openedAt = new ConcurrentHashMap<>();
    /** Attached to a running JVM: files opened before are unknown, and adopted on their next use. */
    private final PreexistingFiles preexisting;
    /** {@code fdcap.getfd=pin}: every {@code getFD()} pins for good. */
    private final boolean pinOnGetFd;

    /**
     * @param leaks the leak log, or null (no stack is captured then)
     * @param adoptOnUse whether descriptor objects never seen opening are adopted when used
     *     (the agent was attached to a running JVM)
     * @param pinOnGetFd whether {@code getFD()} pins for good (else only a stream built on it does)
     */
    public ManagedFiles(FdTracker tracker, AgentConfig.PathFilter filter, String agentJar, String agentLog, LeakLog leaks,
            boolean adoptOnUse, boolean pinOnGetFd) {
        this.tracker = tracker;
        this.agentLog = agentLog;
        this.pinOnGetFd = pinOnGetFd;
        this.filter = filter;
        this.agentJar = agentJar;
        this.leaks = leaks;
        this.preexisting = adoptOnUse ? new PreexistingFiles() : null;
        if (preexisting != null) {
            for (String devIno : preexisting.lockedByThisProcess()) {
                int colon = devIno.indexOf(':');
                lockedBefore.add(inodeKey(Long.parseLong(devIno.substring(0, colon)),
                        Long.parseLong(devIno.substring(colon + 1))));
            }
        }
    }

    FdTracker tracker() {
        return tracker;
    }

    public int size() {
        return managed.size();
    }

    // ---- opens ----

    @Override
    public Object opening(String name, boolean channel) throws IOException {
        if (IN_TRACKER.get()[0] != OUTSIDE) {
            return null; // the tracker's own work on this thread: left alone, as register does
        }
        String absolute = new File(name).getAbsolutePath();
        if (neverManaged(absolute) || !filter.test(absolute)) {
            return null;
        }
        try {
            return tracker.reserveSlot();
        } catch (TooManyOpenFilesException e) {
            // What the JDK itself says when the OS refuses the open (EMFILE).
            if (channel) {
                throw new FileSystemException(name, null, "Too many open files");
            }
            FileNotFoundException f = new FileNotFoundException(name + " (Too many open files)");
            f.initCause(e);
            throw f;
        } catch (IllegalStateException destroyed) {
            return null;
        }
    }

    @Override
    public void notOpened(Object slot) {
        ((FdTracker.Slot) slot).release();
    }

    @Override
    public void rafOpened(RandomAccessFile raf, FileDescriptor fdo, String name, int mode, Object slot) {
        if (register(fdo, name, true, NativeCalls.randomAccessFileFlags(mode), (FdTracker.Slot) slot) == null) {
            notOpened(slot);
        }
    }

    @Override
    public void streamOpened(FileDescriptor fdo, String name, boolean output, boolean append, Object slot) {
        int flags = !output ? OpenFlags.O_RDONLY
                : OpenFlags.O_WRONLY | OpenFlags.O_CREAT | (append ? OpenFlags.O_APPEND : OpenFlags.O_TRUNC);
        if (register(fdo, name, true, flags, (FdTracker.Slot) slot) == null) {
            notOpened(slot);
        }
    }

    @Override
    public void channelOpened(Object channel, String path, Object options, Object slot) {
        FileDescriptor fdo = JdkAccess.fdOfChannel(channel);
        int flags = NativeCalls.channelFlags(options);
        if (fdo == null || register(fdo, path, false, flags, (FdTracker.Slot) slot) == null) {
            notOpened(slot);
        }
    }

    /**
     * Manages {@code fdo} when it should be; returns what is now managed, or null.
     *
     * @param flags the flags it was opened with, or -1 to read them from the descriptor
     * @param slot the room reserved for it before the open, or null (attach: adopted on first use)
     */
    private ManagedFd register(FileDescriptor fdo, String name, boolean ownsCleanable, int flags,
            FdTracker.Slot slot) {
        if (name == null || managed.get(fdo) != null) {
            return null;
        }
        int fd = JdkAccess.get(fdo);
        if (fd < 0) {
            return null;
        }
        try {
            String absolute = new File(name).getAbsolutePath();
            if (neverManaged(absolute) || !filter.test(absolute)) {
                return null;
            }
            int[] inTracker = IN_TRACKER.get();
            if (inTracker[0] != OUTSIDE) {
                return null;
            }
            inTracker[0] = ADOPTING;
            ManagedFd m;
            NativeCalls.FdInfo info;
            try {
                info = inspect(fd, flags);
                if (info == null || !info.regular || info.dev == procDev || info.dev == sysDev) {
                    return null; // a pseudo-file reached by another name (/etc/mtab -> /proc/mounts)
                }
                m = new ManagedFd(fdo, collected, info, ownsCleanable);
                if (leaks != null) {
                    openedAt.put(m, leaks.openedHere());
                }
                FdTracker.Slot room = slot;
                slot = null; // used up by adopt, whatever happens
                m.handle = tracker.adopt(fd, absolute, info.flags, m, room);
            } finally {
                inTracker[0] = OUTSIDE;
            }
            managed.add(m);
            if (!lockedBefore.isEmpty() && lockedBefore.contains(inodeKey(info.dev, info.ino))) {
                tracker.lockTaken(fd, absolute); // never released: that lock's release cannot be seen
            }
            return m;
        } catch (IOException | RuntimeException e) {
            LOG.debug("not managing {}: {}", name, e.toString());
            if (slot != null) {
                slot.release();
            }
            return null;
        }
    }

    /** The devices of /proc and /sys (-1 when unknown): their files are never managed, by any name. */
    private final long procDev = deviceOf("/proc/self");
    private final long sysDev = deviceOf("/sys/kernel");

    private static long deviceOf(String path) {
        long[] id = NativeCalls.identity(path);
        return id == null ? -1 : id[0];
    }

    /**
     * Files never managed, whatever the globs say: the agent's own jar and log file, and the
     * kernel's pseudo-files (/proc, /sys, /dev: "regular" files for fstat, but their content is
     * made at each open, and a reopen would not continue where a read stopped).
     */
    private boolean neverManaged(String absolute) {
        return absolute.equals(agentJar) || absolute.equals(agentLog) || absolute.startsWith("/proc/")
                || absolute.startsWith("/sys/") || absolute.startsWith("/dev/");
    }

    /**
     * {@link NativeCalls#inspect}. Reading the open flags may take a descriptor for a moment
     * ({@link NativeCalls#flagsTakeADescriptor}): room for it is reserved first (a handle suspended
     * at the cap), as for an open, so that the process stays under {@code fdcap.max}; and
     * when the OS refuses that descriptor (EMFILE: descriptors the agent does not see), one more.
     */
    private NativeCalls.FdInfo inspect(int fd, int flags) {
        if (!NativeCalls.flagsTakeADescriptor(flags)) {
            return NativeCalls.inspect(fd, flags);
        }
        // Reserved, not looked at: with a look at the room, another thread could take the last of
        // it between the look and the read (ChurnIT saw 201 descriptors under a cap of 200 once).
        FdTracker.Slot slot = null;
        try {
            slot = tracker.reserveSlot();
        } catch (TooManyOpenFilesException | IllegalStateException noRoom) {
            // Every descriptor held for a lasting reason (or the tracker gone): read as the OS
            // allows; EMFILE below makes what room it can.
        }
        try {
            NativeCalls.FdInfo info = NativeCalls.inspect(fd, flags);
            if (info == null && makeRoom(1)) {
                info = NativeCalls.inspect(fd, flags);
            }
            return info;
        } finally {
            if (slot != null) {
                slot.release();
            }
        }
    }

    /** Why a suspension is happening on this thread now (for the JFR event): open, os-limit or restore. */
    static String suspendReason() {
        int doing = IN_TRACKER.get()[0];
        return doing == ADOPTING ? "open" : doing == MAKING_ROOM ? "os-limit" : doing == AHEAD ? "ahead" : "restore";
    }

    /** {@link #evictorThread} as the tracker's thread factory (a class, not a method reference: made at start). */
    public static final java.util.concurrent.ThreadFactory EVICTOR_THREADS = new java.util.concurrent.ThreadFactory() {
        @Override
        public Thread newThread(Runnable body) {
            return evictorThread(body);
        }
    };

    /**
     * The tracker's thread that keeps descriptors free ahead of need: a daemon of the agent's own
     * (no program's context class loader kept alive by it), marked as inside the tracker for its
     * life, so that nothing its work triggers (a log file opened, a class loaded) re-enters it.
     */
    public static Thread evictorThread(Runnable body) {
        Thread t = new Thread(() -> {
            IN_TRACKER.get()[0] = AHEAD;
            body.run();
        }, "fdcap-evictor");
        t.setDaemon(true);
        t.setContextClassLoader(ManagedFiles.class.getClassLoader());
        return t;
    }

    /**
     * Attach mode: a descriptor object used but never seen opening (opened before the agent was
     * loaded). Adopted when it belongs to a RandomAccessFile or a FileChannel.open channel on a
     * file the agent would manage; otherwise remembered as not managed.
     */
    private ManagedFd adoptOnUse(FileDescriptor fdo) {
        int[] inTracker = IN_TRACKER.get();
        if (inTracker[0] != OUTSIDE) {
            return null; // the agent's own work (class loading from its jar, say): leave it alone
        }
        synchronized (preexisting) {
            ManagedFd m = managed.get(fdo);
            if (m != null) {
                return m;
            }
            PreexistingFiles.Owner owner;
            inTracker[0] = INSPECTING;
            try {
                owner = preexisting.owner(fdo);
            } finally {
                inTracker[0] = OUTSIDE;
            }
            m = owner == null ? null : register(fdo, owner.path, owner.ownsCleanable, -1, null);
            if (m == null && JdkAccess.get(fdo) >= 0) {
                managed.add(new ManagedFd(fdo, collected));
            }
            return m;
        }
    }

    /** The managed files still open or suspended (for the leak report at exit). */
    public List<LeakLog.OpenFile> stillOpen() {
        List<LeakLog.OpenFile> out = new ArrayList<>();
        managed.forEach(m -> {
            if (m.handle != null && !m.isClosing() && !m.isClosedBehind() && m.get() != null) {
                out.add(new LeakLog.OpenFile(m.path(), openedAt.get(m), m.isSuspended()));
            }
        });
        out.sort(Comparator.comparing(LeakLog.OpenFile::path));
        return out;
    }

    // ---- operations ----

    @Override
    public Object enter(FileDescriptor fdo) throws IOException {
        ManagedFd m = lookup(fdo);
        return m == null ? null : m.pin();
    }

    /** The record of {@code fdo}; a descriptor open before the agent started is adopted on first use. */
    private ManagedFd lookup(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        return m == null && preexisting != null ? adoptOnUse(fdo) : m;
    }

    @Override
    public Object enterSeek(FileDescriptor fdo, long position) throws IOException {
        ManagedFd m = lookup(fdo);
        if (m == null) {
            return null;
        }
        return position >= 0 && m.seekIfSuspended(position) ? FdBridge.SOUGHT : m.pin();
    }

    @Override
    public long suspendedOffset(RandomAccessFile raf) {
        FileDescriptor fdo = JdkAccess.fdOf(raf);
        ManagedFd m = fdo == null ? null : managed.get(fdo);
        return m == null ? -1 : m.offsetIfSuspended();
    }

    @Override
    public Object enter(RandomAccessFile raf) throws IOException {
        FileDescriptor fdo = JdkAccess.fdOf(raf);
        return fdo == null ? null : enter(fdo);
    }

    @Override
    public Object enterWithChannel(FileDescriptor fdo, Object otherChannel) throws IOException {
        Object mine = enter(fdo);
        FileDescriptor other = JdkAccess.fdOfChannel(otherChannel);
        if (other == null || other == fdo) {
            return mine;
        }
        Object theirs;
        try {
            theirs = enter(other);
        } catch (IOException | RuntimeException e) {
            exit(mine);
            throw e;
        }
        if (theirs == null) {
            return mine;
        }
        return mine == null ? theirs : new FsHandle[] {(FsHandle) mine, (FsHandle) theirs};
    }

    @Override
    public void exit(Object token) {
        if (token instanceof FsHandle) {
            ManagedFd.unpin((FsHandle) token);
        } else if (token instanceof FsHandle[]) {
            for (FsHandle h : (FsHandle[]) token) {
                ManagedFd.unpin(h);
            }
        }
    }

    // ---- close ----

    @Override
    public Object enterClose(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        if (m == null || m.handle == null || !m.startClosing()) {
            return null; // not managed, or a nested close (RandomAccessFile.close -> channel close)
        }
        if (m.isClosedBehind()) {
            m.closePinned(false);
            return m;
        }
        try {
            m.acquire(m.handle, "close");
            m.closePinned(true);
        } catch (IOException | IllegalStateException e) {
            // Suspended and not restorable: the JDK's close then finds -1 and closes nothing.
            m.closePinned(false);
        }
        return m;
    }

    @Override
    public void exitClose(Object token) {
        ManagedFd m = (ManagedFd) token;
        managed.remove(m);
        forget(m, m.closePinned());
    }

    /** The tracker forgets {@code m}; {@code pinned}: the caller holds a pin on it. */
    private void forget(ManagedFd m, boolean pinned) {
        if (leaks != null) {
            openedAt.remove(m);
        }
        FsHandle h = m.handle;
        try {
            if (pinned) {
                h.untrack();
            } else {
                h.close(); // suspended: closes nothing, frees nothing but the handle
            }
        } catch (IOException | IllegalStateException e) {
            LOG.debug("forgetting {}: {}", m.path(), e.toString());
        }
    }

    // ---- pinned for good ----

    /**
     * {@code getFD()}. Followed (the default): nothing; the object is the handle's own, so its
     * {@code sync()} and {@code valid()} (instrumented) restore it, and a stream built on it (and
     * that stream's channel) shares the handle. {@code fdcap.getfd=pin}: pinned for good.
     */
    @Override
    public void escaped(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        if (m != null && pinOnGetFd) {
            m.pinForGood();
        } else if (m == null) {
            sharedWithStream(fdo);
        }
    }

    @Override
    public void sharedWithStream(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        if (m != null) {
            return; // the stream's methods restore and pin the shared handle, as its owner's do
        }
        if (preexisting != null && JdkAccess.get(fdo) >= 0) {
            // Opened before the attach and escaping now: never adopt it.
            synchronized (preexisting) {
                if (managed.get(fdo) == null) {
                    managed.add(new ManagedFd(fdo, collected));
                }
            }
        }
    }

    // ---- locks ----

    /**
     * Called with the descriptor pinned (when managed): its number cannot change meanwhile. The
     * descriptor may be one the agent does not manage (a stream's channel): the lock holds the
     * managed descriptors of its file open all the same.
     */
    @Override
    public Object lockStarting(FileDescriptor fdo) {
        int fd = JdkAccess.get(fdo);
        if (fd < 0) {
            return null;
        }
        try {
            return tracker.lockTaken(fd, pathOf(fdo));
        } catch (IOException | RuntimeException e) {
            LOG.debug("lock on descriptor {} not followed: {}", fd, e.toString());
            return null;
        }
    }

    @Override
    public void lockDone(Object hold, Object lock) {
        if (hold == null) {
            return;
        }
        LockHold h = (LockHold) hold;
        if (lock == null) {
            h.release(); // tryLock found it taken, or the attempt failed
            return;
        }
        synchronized (locks) {
            HeldLock previous = locks.put(lock, new HeldLock(lock, collected, h));
            if (previous != null) {
                previous.hold.release();
            }
        }
    }

    @Override
    public void unlocked(Object lock) {
        HeldLock held = locks.remove(lock);
        if (held != null) {
            held.hold.release();
        }
    }

    /** A lock not released yet, with the tracker's hold on its file; a weak reference to the FileLock. */
    private static final class HeldLock extends java.lang.ref.WeakReference<Object> {
        final LockHold hold;

        HeldLock(Object lock, ReferenceQueue<Object> queue, LockHold hold) {
            super(lock, queue);
            this.hold = hold;
        }
    }

    private String pathOf(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        return m != null ? m.path() : "(a descriptor fdcap does not manage)";
    }

    @Override
    public boolean isSuspended(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        return m != null && m.isSuspended() && !m.isClosing() && !m.isClosedBehind();
    }

    // ---- names ----

    @Override
    public Object beforeRemove(String path) throws IOException {
        if (managed.isEmpty()) {
            return null;
        }
        try {
            return tracker.beforeRemove(path);
        } catch (TooManyOpenFilesException e) {
            throw new FileSystemException(path, null, "Too many open files: no room to keep the file for its"
                    + " descriptors, which fdcap has suspended; not deleted");
        } catch (IllegalStateException destroyed) {
            return null;
        }
    }

    @Override
    public Object beforeRename(String from, String to) throws IOException {
        if (managed.isEmpty()) {
            return null;
        }
        try {
            return tracker.beforeRename(from, to);
        } catch (TooManyOpenFilesException e) {
            throw new FileSystemException(from, to, "Too many open files: no room to keep the file replaced for its"
                    + " descriptors, which fdcap has suspended; not renamed");
        } catch (IllegalStateException destroyed) {
            return null;
        }
    }

    @Override
    public void nameChanged(Object token) {
        ((NameChange) token).done();
    }

    /** {@link FdBridge.Hooks#beforeCopy}: {source slot, target slot, the target's name change or null}. */
    @Override
    public Object beforeCopy(String target) throws IOException {
        if (IN_TRACKER.get()[0] != OUTSIDE) {
            return null;
        }
        FdTracker.Slot source;
        FdTracker.Slot copy;
        try {
            source = tracker.reserveSlot();
            try {
                copy = tracker.reserveSlot();
            } catch (TooManyOpenFilesException e) {
                source.release();
                throw e;
            }
        } catch (TooManyOpenFilesException e) {
            throw new FileSystemException(target, null, "Too many open files");
        } catch (IllegalStateException destroyed) {
            return null;
        }
        try {
            return new Object[] {source, copy, beforeRemove(target)};
        } catch (IOException | RuntimeException e) {
            source.release();
            copy.release();
            throw e;
        }
    }

    @Override
    public void copied(Object token) {
        Object[] t = (Object[]) token;
        try {
            if (t[2] != null) {
                nameChanged(t[2]);
            }
        } finally {
            ((FdTracker.Slot) t[0]).release();
            ((FdTracker.Slot) t[1]).release();
        }
    }

    @Override
    public boolean outOfDescriptors(Throwable failure) {
        String message = failure.getMessage();
        if (message == null || !(message.contains("Too many open files")
                || message.contains("Too many open files in system"))) {
            return false;
        }
        int[] inTracker = IN_TRACKER.get();
        if (inTracker[0] != OUTSIDE) {
            return false;
        }
        inTracker[0] = MAKING_ROOM;
        try {
            return makeRoom(HEADROOM);
        } finally {
            inTracker[0] = OUTSIDE;
        }
    }

    /** Suspends up to {@code k} idle handles to free real descriptors; false when none could be. */
    public boolean makeRoom(int k) {
        try {
            return tracker.suspendIdle(k) > 0;
        } catch (IllegalStateException destroyed) {
            return false;
        }
    }

    // ---- garbage collection ----

    /**
     * Gives back the slots of descriptor objects the program dropped without closing them, and ends
     * the holds of locks collected without being released (their channel was dropped unclosed). The
     * JDK's cleanup closes an open number itself (FileCleanable or the channel's Closer, both
     * registered for the current number); a suspended one has nothing to close.
     */
    void expungeCollected() {
        java.lang.ref.Reference<?> r;
        while ((r = collected.poll()) != null) {
            reclaim(r);
        }
    }

    /**
     * Blocks until a descriptor object or a lock is collected, then reclaims it and whatever else
     * was collected (reaper thread); returns after {@code timeoutMillis} when nothing was.
     */
    public void reclaimNext(long timeoutMillis) throws InterruptedException {
        java.lang.ref.Reference<?> r = collected.remove(timeoutMillis);
        if (r != null) {
            reclaim(r);
            expungeCollected();
        }
    }

    private void reclaim(java.lang.ref.Reference<?> r) {
        if (r instanceof HeldLock) {
            ((HeldLock) r).hold.release();
        } else {
            reclaim((ManagedFd) r);
        }
    }

    private void reclaim(ManagedFd m) {
        managed.remove(m);
        if (m.handle == null || !m.startClosing()) {
            return;
        }
        if (leaks != null && !m.isClosedBehind()) {
            leaks.collected(m.path(), openedAt.get(m));
        }
        FsHandle h = m.handle;
        if (h.isSuspended()) {
            forget(m, false);
            return;
        }
        try {
            int fd = h.acquire(); // open: a hit, no system call
            // The JDK's cleanup (FileCleanable, or the channel's Closer) closes the number on the
            // Cleaner thread, maybe after this point: keep the slot counted until it has, so the
            // real count never goes over the cap. Bounded: the number may also be reused for the
            // same file by then.
            for (int i = 0; i < RECLAIM_WAITS && sameFile(fd, m); i++) {
                Thread.sleep(RECLAIM_WAIT_MILLIS);
            }
            forget(m, true);
        } catch (IOException | IllegalStateException e) {
            forget(m, false);
        } catch (InterruptedException e) {
            forget(m, true);
            Thread.currentThread().interrupt();
        }
    }

    private static boolean sameFile(int fd, ManagedFd m) {
        long[] id = NativeCalls.identity(fd);
        return id != null && m.isFile(id[0], id[1]);
    }

    /** The key of a file in {@link #lockedBefore}: ManagedFd's digest of its identity. */
    private static long inodeKey(long dev, long ino) {
        return ManagedFd.fileKey(dev, ino);
    }
}
