package org.fdcap.agent;

import java.io.File;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.ref.ReferenceQueue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.agent.ops.LeakLog;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of {@link FdBridge}: which {@link FileDescriptor}s are managed (an identity
 * map holding them weakly), and what each instrumented point does with the tracker.
 *
 * <p>Rules it implements: a descriptor is managed when a {@code RandomAccessFile} or
 * {@code FileChannel.open} opens a regular file that the include/exclude globs allow (never the
 * agent jar); a channel from {@code getChannel()} shares its file's handle; an operation pins
 * (restoring first) and unpins; close restores, lets the JDK close, and untracks; a descriptor
 * that escapes through {@code getFD()} or whose file is locked is pinned for good; a descriptor
 * object collected without close gives its slot back (the JDK's own cleanup closes the number).
 */
final class ManagedFiles implements FdBridge.Hooks {
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
    private static final ThreadLocal<int[]> IN_TRACKER = ThreadLocal.withInitial(() -> new int[1]);
    /** What this thread is doing inside the tracker (IN_TRACKER), for the reason of a suspension. */
    private static final int OUTSIDE = 0;
    private static final int ADOPTING = 1;
    private static final int MAKING_ROOM = 2;
    /** Looking at a descriptor object opened before the attach (may load a class: no re-entry). */
    private static final int INSPECTING = 3;

    private final FdTracker tracker;
    private final AgentConfig.PathFilter filter;
    private final String agentJar;
    private final ManagedTable managed = new ManagedTable();
    private final ReferenceQueue<FileDescriptor> collected = new ReferenceQueue<>();
    /** Files (dev, ino) locked by this process: none of their descriptors is suspended again. */
    private final Set<Long> lockedInodes = ConcurrentHashMap.newKeySet();
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
    ManagedFiles(FdTracker tracker, AgentConfig.PathFilter filter, String agentJar, LeakLog leaks,
            boolean adoptOnUse, boolean pinOnGetFd) {
        this.tracker = tracker;
        this.pinOnGetFd = pinOnGetFd;
        this.filter = filter;
        this.agentJar = agentJar;
        this.leaks = leaks;
        this.preexisting = adoptOnUse ? new PreexistingFiles() : null;
        if (preexisting != null) {
            for (String devIno : preexisting.lockedByThisProcess()) {
                int colon = devIno.indexOf(':');
                lockedInodes.add(inodeKey(Long.parseLong(devIno.substring(0, colon)),
                        Long.parseLong(devIno.substring(colon + 1))));
            }
        }
    }

    FdTracker tracker() {
        return tracker;
    }

    int size() {
        return managed.size();
    }

    // ---- opens ----

    @Override
    public void rafOpened(RandomAccessFile raf, FileDescriptor fdo, String name, int mode) {
        register(fdo, name, true, NativeCalls.randomAccessFileFlags(mode));
    }

    @Override
    public void channelOpened(FileDescriptor fdo, String path, Object parent, boolean readable, boolean writable) {
        // With a parent, the channel belongs to a stream: a RandomAccessFile's descriptor is
        // already managed (shared handle); a FileInputStream/FileOutputStream's never is.
        if (parent == null) {
            register(fdo, path, false, -1);
        }
    }

    /**
     * Manages {@code fdo} when it should be; returns what is now managed, or null.
     *
     * @param flags the flags it was opened with, or -1 to read them from the descriptor
     */
    private ManagedFd register(FileDescriptor fdo, String name, boolean ownsCleanable, int flags) {
        if (name == null || managed.get(fdo) != null) {
            return null;
        }
        int fd = JdkAccess.get(fdo);
        if (fd < 0) {
            return null;
        }
        try {
            File file = new File(name).getAbsoluteFile();
            // Usually file.getPath() is the very String the JDK object keeps: share it.
            Path path = ProgramPath.of(file.getPath(), file.toPath());
            String absolute = path.toString();
            if (absolute.equals(agentJar) || !filter.test(path)) {
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
                if (info == null || !info.regular) {
                    return null;
                }
                m = new ManagedFd(fdo, collected, info, ownsCleanable);
                if (leaks != null) {
                    openedAt.put(m, leaks.openedHere());
                }
                m.handle = tracker.adopt(fd, path, info.flags, m);
            } finally {
                inTracker[0] = OUTSIDE;
            }
            managed.add(m);
            if (!lockedInodes.isEmpty() && lockedInodes.contains(inodeKey(info.dev, info.ino))) {
                m.pinForGood();
            }
            return m;
        } catch (IOException | RuntimeException e) {
            LOG.debug("not managing {}: {}", name, e.toString());
            return null;
        }
    }

    /**
     * {@link NativeCalls#inspect}. Reading the open flags may take a descriptor for a moment
     * ({@link NativeCalls#flagsTakeADescriptor}): at the cap one handle is suspended first, as
     * adopting the file would have done, so that the process stays under {@code fdcap.max}; and
     * when the OS refuses that descriptor (EMFILE: descriptors the agent does not see), one more.
     */
    private NativeCalls.FdInfo inspect(int fd, int flags) {
        boolean takesOne = NativeCalls.flagsTakeADescriptor(flags);
        if (takesOne && tracker.room() == 0) {
            makeRoom(1);
        }
        NativeCalls.FdInfo info = NativeCalls.inspect(fd, flags);
        if (info == null && takesOne && makeRoom(1)) {
            info = NativeCalls.inspect(fd, flags);
        }
        return info;
    }

    /** Why a suspension is happening on this thread now (for the JFR event): open, os-limit or restore. */
    static String suspendReason() {
        int doing = IN_TRACKER.get()[0];
        return doing == ADOPTING ? "open" : doing == MAKING_ROOM ? "os-limit" : "restore";
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
            m = owner == null ? null : register(fdo, owner.path, owner.ownsCleanable, -1);
            if (m == null && JdkAccess.get(fdo) >= 0) {
                managed.add(new ManagedFd(fdo, collected));
            }
            return m;
        }
    }

    /** The managed files still open or suspended (for the leak report at exit). */
    List<LeakLog.OpenFile> stillOpen() {
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
        locksDropped(m);
    }

    /**
     * Closing any descriptor of a file drops every POSIX lock the process holds on it, so the
     * file's descriptors may be suspended again. Without this, the entry would outlive the file,
     * and a new file given the same inode number would have its descriptors pinned for good.
     */
    private void locksDropped(ManagedFd m) {
        if (!lockedInodes.isEmpty()) {
            lockedInodes.remove(m.fileKey());
        }
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
     * {@code getFD()}. Followed (the default): nothing yet; the object is the handle's own, so its
     * {@code sync()} and {@code valid()} (instrumented) restore it and a channel from a stream on
     * it shares the handle; a stream built on it pins it ({@link #sharedWithStream}).
     */
    @Override
    public void escaped(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        if (m == null || pinOnGetFd) {
            sharedWithStream(fdo);
        }
    }

    @Override
    public void sharedWithStream(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        if (m != null) {
            m.pinForGood();
        } else if (preexisting != null && JdkAccess.get(fdo) >= 0) {
            // Opened before the attach and escaping now: never adopt it.
            synchronized (preexisting) {
                if (managed.get(fdo) == null) {
                    managed.add(new ManagedFd(fdo, collected));
                }
            }
        }
    }

    /** Called with the descriptor pinned (when managed): its number cannot change meanwhile. */
    @Override
    public void locked(FileDescriptor fdo) {
        long[] id = NativeCalls.identity(JdkAccess.get(fdo));
        if (id == null) {
            return;
        }
        if (lockedInodes.add(inodeKey(id[0], id[1]))) {
            pinFile(id);
        } else {
            ManagedFd m = managed.get(fdo);
            if (m != null) {
                m.pinForGood();
            }
        }
    }

    @Override
    public boolean isSuspended(FileDescriptor fdo) {
        ManagedFd m = managed.get(fdo);
        return m != null && m.isSuspended() && !m.isClosing() && !m.isClosedBehind();
    }

    @Override
    public void nameChanging(String path) {
        if (managed.isEmpty()) {
            return;
        }
        long[] id = NativeCalls.identity(new File(path).getAbsolutePath());
        if (id == null) {
            return;
        }
        pinFile(id);
    }

    /** Pins for good every managed descriptor of the file {@code id} ({dev, ino}). */
    private void pinFile(long[] id) {
        managed.forEach(m -> {
            if (m.isFile(id[0], id[1])) {
                m.pinForGood();
            }
        });
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
    boolean makeRoom(int k) {
        try {
            return tracker.suspendIdle(k) > 0;
        } catch (IllegalStateException destroyed) {
            return false;
        }
    }

    // ---- garbage collection ----

    /**
     * Gives back the slots of descriptor objects the program dropped without closing them. The
     * JDK's cleanup closes an open number itself (FileCleanable or the channel's Closer, both
     * registered for the current number); a suspended one has nothing to close.
     */
    void expungeCollected() {
        ManagedFd m;
        while ((m = (ManagedFd) collected.poll()) != null) {
            reclaim(m);
        }
    }

    /** Blocks until a descriptor object is collected, then reclaims it (reaper thread). */
    void reclaimNext(long timeoutMillis) throws InterruptedException {
        ManagedFd m = (ManagedFd) collected.remove(timeoutMillis);
        if (m != null) {
            reclaim(m);
            expungeCollected();
        }
    }

    private void reclaim(ManagedFd m) {
        managed.remove(m);
        locksDropped(m);
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

    /** The key of a file in {@link #lockedInodes}: ManagedFd's digest of its identity. */
    private static long inodeKey(long dev, long ino) {
        return ManagedFd.fileKey(dev, ino);
    }
}
