package org.fdcap.agent.managed;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.fdcap.agent.config.AgentConfig;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.agent.jdk.JdkCalls;
import org.fdcap.agent.jdk.NativeCalls;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.fdcap.core.TrackerStats;

/**
 * {@link ManagedFiles} in this JVM, over a real {@link FdTracker} (no background thread: spare 0)
 * and the JDK calls the agent uses, driven as the instrumentation drives it: the JDK classes are
 * not instrumented here, so each helper calls the hooks the advice would call around the JDK call
 * (room before an open and registration after, restore-and-pin around a use, the close hooks
 * around a close).
 */
final class InProcessAgent {
    /** {@code RandomAccessFile}'s private {@code imode} bits, which its advice passes on. */
    static final int RAF_READ = 1;
    static final int RAF_READ_WRITE = 2;
    static final int RAF_SYNC = 4;
    static final int RAF_DSYNC = 8;

    static {
        try {
            // The surefire configuration opens and exports what JdkAccess.open asks the
            // Instrumentation for: the stand-in has nothing more to do. The bridge's module is
            // the agent's here (the unnamed one), which the sets of that request must not hold
            // twice: another module stands for it.
            JdkAccess.open(standInInstrumentation(), InProcessAgent.class.getModule(),
                    Instrumentation.class.getModule());
            NativeCalls.use(JdkCalls.load());
            warmUp();
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    /**
     * One open, suspension, restore, lock, delete and close before any test: the classes (and the
     * jars they come from, which stay open) are loaded now, not between a test's two counts of
     * the process's descriptors.
     */
    private static void warmUp() throws IOException {
        Path dir = Files.createTempDirectory("fdcap-test-warmup");
        Path file = Files.write(dir.resolve("a"), new byte[] {1, 2, 3});
        InProcessAgent agent = withCapacity(2);
        RandomAccessFile raf = agent.raf(file, "rw");
        agent.suspendAll();
        agent.use(raf, raf::read);
        Object hold = agent.files.lockStarting(raf.getFD());
        agent.files.lockDone(hold, null);
        agent.suspendAll();
        Object removal = agent.files.beforeRemove(file.toString());
        Files.delete(file);
        agent.files.nameChanged(removal);
        agent.use(raf, raf::read);
        agent.close(raf);
        agent.tracker.destroy();
        Files.delete(dir);
    }

    final FdTracker tracker;
    final ManagedFiles files;

    private InProcessAgent(FdTracker tracker, ManagedFiles files) {
        this.tracker = tracker;
        this.files = files;
    }

    /** Files opened here are managed (every path, getFD() followed, not attached). */
    static InProcessAgent withCapacity(int capacity) {
        return create(capacity, List.of(), false, false);
    }

    /**
     * @param exclude globs ({@code glob:} syntax) of paths never managed
     * @param attached files opened before are adopted on use ({@code agentmain})
     * @param pinOnGetFd {@code fdcap.getfd=pin}
     */
    static InProcessAgent create(int capacity, List<String> exclude, boolean attached, boolean pinOnGetFd) {
        try {
            FdTracker tracker = FdTracker.builder().capacity(capacity).spare(0).systemCalls(JdkCalls.load()).build();
            ManagedFiles files = new ManagedFiles(tracker, new AgentConfig.PathFilter(List.of(),
                    exclude.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList()),
                    "/nowhere/fdcap-agent.jar", null, null, attached, pinOnGetFd);
            return new InProcessAgent(tracker, files);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code new RandomAccessFile(path, mode)} as the agent sees it (its close too). */
    RandomAccessFile raf(Path path, String mode) throws IOException {
        String name = path.toString();
        Object slot = files.opening(name, false);
        RandomAccessFile raf;
        try {
            raf = new ClosedThroughTheAgent(name, mode);
        } catch (IOException | RuntimeException e) {
            if (slot != null) {
                files.notOpened(slot);
            }
            throw e;
        }
        if (slot != null) {
            files.rafOpened(raf, raf.getFD(), name, imode(mode), slot);
        }
        return raf;
    }

    private static int imode(String mode) {
        switch (mode) {
            case "r":
                return RAF_READ;
            case "rw":
                return RAF_READ_WRITE;
            case "rws":
                return RAF_READ_WRITE | RAF_SYNC;
            case "rwd":
                return RAF_READ_WRITE | RAF_DSYNC;
            default:
                throw new IllegalArgumentException(mode);
        }
    }

    /**
     * A RandomAccessFile whose {@code close()} runs the hooks of its close advice, as the
     * instrumented class does: a test's try-with-resources closes it as the program's would.
     */
    private final class ClosedThroughTheAgent extends RandomAccessFile {
        ClosedThroughTheAgent(String name, String mode) throws FileNotFoundException {
            super(name, mode);
        }

        @Override
        public void close() throws IOException {
            Object token = files.enterClose(getFD());
            try {
                super.close();
            } finally {
                if (token != null) {
                    files.exitClose(token);
                }
            }
        }
    }

    /** {@code FileChannel.open(path, options)} as the agent sees it. */
    FileChannel channel(Path path, OpenOption... options) throws IOException {
        Object slot = files.opening(path.toString(), true);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, options);
        } catch (IOException | RuntimeException e) {
            if (slot != null) {
                files.notOpened(slot);
            }
            throw e;
        }
        if (slot != null) {
            files.channelOpened(ch, path.toString(), new HashSet<>(Arrays.asList(options)), slot);
        }
        return ch;
    }

    /** A call on a file object, between the enter and exit hooks of its advice. */
    <T> T use(FileDescriptor fdo, IoCall<T> call) throws IOException {
        Object token = files.enter(fdo);
        try {
            return call.run();
        } finally {
            files.exit(token);
        }
    }

    <T> T use(RandomAccessFile raf, IoCall<T> call) throws IOException {
        return use(raf.getFD(), call);
    }

    <T> T use(FileChannel ch, IoCall<T> call) throws IOException {
        return use(JdkAccess.fdOfChannel(ch), call);
    }

    /** {@code raf.close()} with its close advice. */
    void close(RandomAccessFile raf) throws IOException {
        Object token = files.enterClose(raf.getFD());
        try {
            raf.close();
        } finally {
            if (token != null) {
                files.exitClose(token);
            }
        }
    }

    /** {@code ch.close()} with the advice of {@code implCloseChannel}. */
    void close(FileChannel ch) throws IOException {
        Object token = files.enterClose(JdkAccess.fdOfChannel(ch));
        try {
            ch.close();
        } finally {
            if (token != null) {
                files.exitClose(token);
            }
        }
    }

    /** Suspends every idle handle; how many were. */
    int suspendAll() {
        return tracker.suspendIdle(tracker.capacity());
    }

    /** The tracker's handle of {@code fdo} (pinned and released again: it is restored if it was suspended). */
    FsHandle handleOf(FileDescriptor fdo) throws IOException {
        Object token = files.enter(fdo);
        files.exit(token);
        return (FsHandle) token;
    }

    TrackerStats stats() {
        return tracker.stats();
    }

    /**
     * Rounds of the reaper ({@link ManagedFiles#reclaimNext}), each after a garbage collection,
     * until {@code done}; fails after 20 seconds. The collector and the JDK's Cleaner thread run
     * when they run: the rounds wait for them, the test then asserts on what they did.
     */
    void reapUntil(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reclaimed after 20 s: " + what + "; " + tracker.describe());
            }
            System.gc();
            files.reclaimNext(50);
        }
    }

    /** {@code n} bytes that differ from one offset to the next, and from one {@code seed} to another. */
    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >> 8));
        }
        return b;
    }

    /** Exactly {@code n} bytes read from the object's current offset. */
    static byte[] readFully(RandomAccessFile raf, int n) throws IOException {
        byte[] b = new byte[n];
        raf.readFully(b);
        return b;
    }

    /** The descriptors this process has open now, from /proc/self/fd. */
    static int openDescriptors() {
        String[] names = new File("/proc/self/fd").list();
        return names.length - 1; // the listing's own
    }

    /**
     * The descriptors open now on files under {@code dir}, number to target in number order, from
     * /proc/self/fd: what a test's files hold, whatever the JVM's other threads open meanwhile.
     */
    static Map<Integer, String> descriptorsUnder(Path dir) {
        Map<Integer, String> out = new TreeMap<>();
        String[] names = new File("/proc/self/fd").list();
        String prefix = dir.toAbsolutePath().toString() + "/";
        for (String name : names == null ? new String[0] : names) {
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd", name)).toString();
                if (target.startsWith(prefix)) {
                    out.put(Integer.parseInt(name), target);
                }
            } catch (IOException closedMeanwhile) {
                // the listing's own descriptor, or one another thread closed since
            }
        }
        return out;
    }

    /** The number inside a descriptor object (-1: closed or suspended). */
    static int numberOf(FileDescriptor fdo) {
        return JdkAccess.get(fdo);
    }

    @FunctionalInterface
    interface IoCall<T> {
        T run() throws IOException;
    }

    /** Just enough of an Instrumentation for {@link JdkAccess#open}: a redefineModule that does nothing. */
    private static Instrumentation standInInstrumentation() {
        return (Instrumentation) Proxy.newProxyInstance(InProcessAgent.class.getClassLoader(),
                new Class<?>[] {Instrumentation.class}, (proxy, method, args) -> {
                    if (method.getName().equals("redefineModule")) {
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
