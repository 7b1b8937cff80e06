package org.fdcap.agent;

import java.io.File;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.ref.ReferenceQueue;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.fdcap.core.TrackerStats;
import org.fdcap.core.UnsuspendableCloser;
import org.fdcap.core.UnsuspendableOpener;
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
    private static final ThreadLocal<boolean[]> IN_TRACKER = ThreadLocal.withInitial(() -> new boolean[1]);

    private final FdTracker tracker;
    private final AgentConfig.PathFilter filter;
    private final String agentJar;
    private final ConcurrentHashMap<Object, ManagedFd> managed = new ConcurrentHashMap<>();
    private final ReferenceQueue<FileDescriptor> collected = new ReferenceQueue<>();
    /** Files (dev, ino) locked by this process: none of their descriptors is suspended again. */
    private final Set<String> lockedInodes = ConcurrentHashMap.newKeySet();

    ManagedFiles(FdTracker tracker, AgentConfig.PathFilter filter, String agentJar) {
        this.tracker = tracker;
        this.filter = filter;
        this.agentJar = agentJar;
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
        register(fdo, name, true);
    }

    @Override
    public void channelOpened(FileDescriptor fdo, String path, Object parent, boolean readable, boolean writable) {
        // With a parent, the channel belongs to a stream: a RandomAccessFile's descriptor is
        // already managed (shared handle); a FileInputStream/FileOutputStream's never is.
        if (parent == null) {
            register(fdo, path, false);
        }
    }

    private void register(FileDescriptor fdo, String name, boolean ownsCleanable) {
        if (name == null || managed.containsKey(new ManagedFd.Lookup(fdo))) {
            return;
        }
        int fd = JdkAccess.get(fdo);
        if (fd < 0) {
            return;
        }
        try {
            Path path = new File(name).getAbsoluteFile().toPath();
            String absolute = path.toString();
            if (absolute.equals(agentJar) || !filter.test(path)) {
                return;
            }
            NativeCalls.FdInfo info = NativeCalls.inspect(fd);
            if (info == null || !info.regular) {
                return;
            }
            boolean[] inTracker = IN_TRACKER.get();
            if (inTracker[0]) {
                return;
            }
            inTracker[0] = true;
            ManagedFd m;
            try {
                m = new ManagedFd(fdo, collected, absolute, info, ownsCleanable);
                m.handle = tracker.adopt(fd, path, info.flags, m);
            } finally {
                inTracker[0] = false;
            }
            managed.put(m, m);
            if (!lockedInodes.isEmpty() && lockedInodes.contains(inodeKey(m.dev, m.ino))) {
                m.pinForGood();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("not managing {}: {}", name, e.toString());
        }
    }

    // ---- operations ----

    @Override
    public Object enter(FileDescriptor fdo) throws IOException {
        ManagedFd m = managed.get(new ManagedFd.Lookup(fdo));
        return m == null ? null : m.pin();
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
        return mine == null ? theirs : new ManagedFd[] {(ManagedFd) mine, (ManagedFd) theirs};
    }

    @Override
    public void exit(Object token) {
        if (token instanceof ManagedFd) {
            ((ManagedFd) token).unpin();
        } else if (token instanceof ManagedFd[]) {
            for (ManagedFd m : (ManagedFd[]) token) {
                m.unpin();
            }
        }
    }

    // ---- close ----

    @Override
    public Object enterClose(FileDescriptor fdo) {
        ManagedFd m = managed.get(new ManagedFd.Lookup(fdo));
        if (m == null || m.handle == null || !m.closing.compareAndSet(false, true)) {
            return null; // not managed, or a nested close (RandomAccessFile.close -> channel close)
        }
        if (m.closedBehind) {
            m.closePinned = false;
            return m;
        }
        try {
            m.handle.acquire();
            m.closePinned = true;
        } catch (IOException | IllegalStateException e) {
            // Suspended and not restorable: the JDK's close then finds -1 and closes nothing.
            m.closePinned = false;
        }
        return m;
    }

    @Override
    public void exitClose(Object token) {
        ManagedFd m = (ManagedFd) token;
        managed.remove(m);
        forget(m, m.closePinned);
        locksDropped(m);
    }

    /**
     * Closing any descriptor of a file drops every POSIX lock the process holds on it, so the
     * file's descriptors may be suspended again. Without this, the entry would outlive the file,
     * and a new file given the same inode number would have its descriptors pinned for good.
     */
    private void locksDropped(ManagedFd m) {
        if (!lockedInodes.isEmpty()) {
            lockedInodes.remove(inodeKey(m.dev, m.ino));
        }
    }

    /** The tracker forgets {@code m}; {@code pinned}: the caller holds a pin on it. */
    private void forget(ManagedFd m, boolean pinned) {
        FsHandle h = m.handle;
        try {
            if (pinned) {
                h.untrack();
            } else {
                h.close(); // suspended: closes nothing, frees nothing but the handle
            }
        } catch (IOException | IllegalStateException e) {
            LOG.debug("forgetting {}: {}", m.path, e.toString());
        }
    }

    // ---- pinned for good ----

    @Override
    public void escaped(FileDescriptor fdo) {
        ManagedFd m = managed.get(new ManagedFd.Lookup(fdo));
        if (m != null) {
            m.pinForGood();
        }
    }

    @Override
    public void locked(FileDescriptor fdo) {
        long[] id = NativeCalls.identity(JdkAccess.get(fdo));
        if (id == null) {
            return;
        }
        if (lockedInodes.add(inodeKey(id[0], id[1]))) {
            for (ManagedFd m : managed.values()) {
                if (m.dev == id[0] && m.ino == id[1]) {
                    m.pinForGood();
                }
            }
        } else {
            ManagedFd m = managed.get(new ManagedFd.Lookup(fdo));
            if (m != null) {
                m.pinForGood();
            }
        }
    }

    @Override
    public boolean isSuspended(FileDescriptor fdo) {
        ManagedFd m = managed.get(new ManagedFd.Lookup(fdo));
        return m != null && m.suspended && !m.closing.get() && !m.closedBehind;
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
        for (ManagedFd m : managed.values()) {
            if (m.dev == id[0] && m.ino == id[1]) {
                m.pinForGood();
            }
        }
    }

    @Override
    public boolean outOfDescriptors(Throwable failure) {
        String message = failure.getMessage();
        if (message == null || !(message.contains("Too many open files")
                || message.contains("Too many open files in system"))) {
            return false;
        }
        boolean[] inTracker = IN_TRACKER.get();
        if (inTracker[0]) {
            return false;
        }
        inTracker[0] = true;
        try {
            return makeRoom(HEADROOM);
        } finally {
            inTracker[0] = false;
        }
    }

    /**
     * Suspends at least one idle handle (up to {@code k} beyond the tracker's free slots), to free
     * real descriptors when the OS runs out before the tracker does. Core has no call for this, so
     * it reserves unsuspendable slots with placeholder numbers and gives them straight back.
     */
    boolean makeRoom(int k) {
        TrackerStats before = tracker.stats();
        int n = Math.max(k, before.capacity() - before.active() + k);
        try {
            int[] slots = tracker.openUnsuspendable(Collections.nCopies(n, "fdcap headroom"), new Placeholders());
            tracker.closeUnsuspendable(slots, new NoClose());
        } catch (IOException | RuntimeException e) {
            // fewer could be suspended: whatever was suspended still counts
        }
        return tracker.stats().suspensions() > before.suspensions();
    }

    /** Numbers no descriptor can have: they only hold the reserved slots for an instant. */
    private static final class Placeholders implements UnsuspendableOpener {
        @Override
        public int[] open(int count) {
            int[] fds = new int[count];
            for (int i = 0; i < count; i++) {
                fds[i] = Integer.MAX_VALUE - i;
            }
            return fds;
        }
    }

    private static final class NoClose implements UnsuspendableCloser {
        @Override
        public void close(int[] fds) {
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
        if (m.handle == null || !m.closing.compareAndSet(false, true)) {
            return;
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
        return id != null && id[0] == m.dev && id[1] == m.ino;
    }

    private static String inodeKey(long dev, long ino) {
        return dev + ":" + ino;
    }
}
