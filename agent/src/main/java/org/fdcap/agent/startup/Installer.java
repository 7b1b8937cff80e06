package org.fdcap.agent.startup;

import java.io.File;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.instrument.Instrumentation;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.agent.cache.JffiStub;
import org.fdcap.agent.cache.TransformCache;
import org.fdcap.agent.config.AgentConfig;
import org.fdcap.agent.config.ConfigException;
import org.fdcap.agent.instrumentation.ByteBuddyNexus;
import org.fdcap.agent.instrumentation.CallSiteSubstitution;
import org.fdcap.agent.instrumentation.Instrumentations;
import org.fdcap.agent.instrumentation.JdkTypes;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.agent.jdk.JdkCalls;
import org.fdcap.agent.jdk.NativeAccess;
import org.fdcap.agent.jdk.NativeCalls;
import org.fdcap.agent.logging.LogSettings;
import org.fdcap.agent.managed.ManagedFiles;
import org.fdcap.agent.ops.AgentVersion;
import org.fdcap.agent.ops.Events;
import org.fdcap.agent.ops.LeakLog;
import org.fdcap.agent.ops.Operations;
import org.fdcap.core.FdTracker;
import org.fdcap.core.ScratchFile;
import org.fdcap.core.SystemCalls;
import org.fdcap.core.TrackerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the agent inside its own class loader, in an order that matters: settings; JDK classes
 * known to cause class-circularity trouble during transformation; the JDK internals (the tracker's
 * system calls go through the JDK's own natives, {@link JdkCalls}; jnr-posix only where those are
 * not as expected); logging before any instrumentation; a warm-up that runs the whole
 * suspend/restore path once, so that it never loads a class when it matters; then the
 * instrumentation, a self-test, and the reaper thread.
 *
 * <p>Failure policy: a bad setting prints one line on stderr; anything else is logged; either
 * way the program runs on without the agent (transformations are undone).
 */
public final class Installer {
    /** Descriptors kept free under the cap for a moment's overshoot (a descriptor adopted before a victim is closed). */
    static final int MARGIN = 4;


    private Installer() {
    }

    /**
     * Called reflectively by {@code Premain} with the agent's arguments and its jar.
     *
     * @param attached whether the JVM was already running ({@code agentmain}: through the attach
     *     API or {@code jcmd JVMTI.agent_load}), not started with {@code -javaagent} ({@code premain})
     */
    public static void install(String args, Instrumentation inst, File agentJar, boolean attached) {
        AgentConfig config = settings(args);
        if (config == null || !canRun()) {
            return;
        }
        // Read before the bridge has hooks: the agent's own jar is none of the program's files.
        String version = AgentVersion.of(agentJar);
        preloadJdkClasses();
        try {
            JdkAccess.open(inst, Installer.class.getModule(), FdBridge.class.getModule());
        } catch (Throwable t) {
            System.err.println("fdcap: the agent could not start (" + t + "); running without fdcap");
            return;
        }
        Natives natives = Natives.choose(agentJar);
        // Before anything builds an AgentBuilder, now or later: Byte Buddy's Nexus would be
        // injected through sun.misc.Unsafe (JDK 24+ warn on the host's stderr).
        ByteBuddyNexus.disable();
        try {
            LogSettings.settings(config.logLevel(), config.logFile());
            natives.logChoice();
            new Start(config, inst, agentJar, attached, natives).run(version);
        } finally {
            natives.restoreProperties();
        }
    }

    /** The settings, or null (after one line on stderr) when they are bad or say "off". */
    private static AgentConfig settings(String args) {
        try {
            AgentConfig config = AgentConfig.parse(args, System.getProperties(), System.getenv());
            return config.enabled() ? config : null;
        } catch (ConfigException e) {
            System.err.println("fdcap: " + e.getMessage() + "; running without fdcap");
            return null;
        }
    }

    /** False (after one line on stderr) when the agent cannot run in this JVM. */
    private static boolean canRun() {
        if (FdBridge.installed()) {
            System.err.println("fdcap: the agent is already running in this JVM; ignoring the second start");
            return false;
        }
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            System.err.println("fdcap: only Linux is supported; running without fdcap");
            return false;
        }
        return true;
    }

    /**
     * The tracker's system calls: the JDK's own natives, nothing to load; jnr-posix (about a second
     * to set up) only when this JDK's internals are not what {@link JdkCalls} expects. With them,
     * the native libraries' settings for the agent's copies, set for the start and then put back
     * so that the host's own jnr/jffi are unaffected.
     */
    private static final class Natives {
        final SystemCalls calls;
        /** Why the JDK's natives are not used, or null. */
        final Throwable noJdkCalls;
        /** Whether jffi is set up during the start (for statx: JDK 17-21, or with jnr-posix). */
        private boolean jffiAtStart;
        private final String unsafe = System.getProperty("jffi.unsafe.disabled");
        private final String jnrAsm = System.getProperty("jnr.ffi.asm.enabled");
        private final String jffiBootPath = System.getProperty(JffiStub.PROPERTY);
        private boolean jffiBootPathSet;

        private Natives(SystemCalls calls, Throwable noJdkCalls) {
            this.calls = calls;
            this.noJdkCalls = noJdkCalls;
        }

        static Natives choose(File agentJar) {
            Natives n;
            try {
                n = new Natives(JdkCalls.load(), null);
            } catch (Throwable t) {
                n = new Natives(SystemCalls.jnrPosix(), t);
            }
            NativeCalls.use(n.calls);
            // Before JDK 22 the JDK gives no birth time: statx through jffi (core's Statx; not jnr-ffi,
            // nor jnr-posix), set up by the warm-up on the helper thread.
            n.jffiAtStart = n.noJdkCalls != null || !JdkCalls.birthFromJdk();
            if (n.jffiAtStart) {
                try {
                    NativeAccess.grantToJffi(agentJar, Installer.class.getClassLoader());
                } catch (Throwable t) {
                    // Without it, JDK 22+ prints its native-access warning once; nothing else changes.
                }
                // jffi: no sun.misc.Unsafe memory access (JDK 24+ warns about it, JEP 498); read
                // when the agent's jffi initializes (during start).
                if (Runtime.version().feature() >= 24 && n.unsafe == null) {
                    System.setProperty("jffi.unsafe.disabled", "true");
                }
            }
            // jnr-ffi: with jnr-posix (the fallback), bind the few libc functions the agent calls
            // one by one, on first call, rather than generate a class for all of libc with ASM
            // (half of jnr's start-up); read when the agent's jnr initializes (during start).
            if (n.noJdkCalls != null) {
                System.setProperty("jnr.ffi.asm.enabled", "false");
            }
            return n;
        }

        void logChoice() {
            if (noJdkCalls != null) {
                LoggerFactory.getLogger(Installer.class).warn("the JDK's file system natives are not as expected"
                        + " ({}); using jnr-posix, which slows the start by about a second", noJdkCalls.toString());
            }
        }

        /**
         * When jffi is set up during the start: its stub loaded from the cache directory rather
         * than extracted anew ({@link JffiStub}).
         *
         * @param cacheDir the cache directory, or null when there is none
         */
        void keepJffiStub(Path cacheDir) {
            if (!jffiAtStart || cacheDir == null) {
                return;
            }
            Path dir = JffiStub.prepare(cacheDir, Installer.class.getClassLoader());
            if (dir != null) {
                jffiBootPathSet = true;
                System.setProperty(JffiStub.PROPERTY, dir.toString());
                LoggerFactory.getLogger(Installer.class).debug("jffi's stub from {}", dir);
            }
        }

        void restoreProperties() {
            restore("jffi.unsafe.disabled", unsafe);
            restore("jnr.ffi.asm.enabled", jnrAsm);
            if (jffiBootPathSet) {
                restore(JffiStub.PROPERTY, jffiBootPath);
            }
        }
    }

    /**
     * One start, step by step: the tracker's preparation on a helper thread while the JDK types
     * are instrumented, the tracker and the bridge, the program's call sites, a self-test, the
     * reaper, the operations side. On any failure what was installed is taken back and the
     * program runs without the agent.
     */
    private static final class Start {
        private final AgentConfig config;
        private final Instrumentation inst;
        private final File agentJar;
        private final boolean attached;
        private final Natives natives;
        private final SystemCalls calls;
        private final Logger log = LoggerFactory.getLogger(Installer.class);
        private final TransformListener listener;
        private JdkTypes jdkTypes;
        private CallSiteSubstitution callSites;
        /** The transform cache, or null when off or refused; and what it held at start, or null. */
        private TransformCache cache;
        private Map<String, JdkTypes.Cached> cached;

        Start(AgentConfig config, Instrumentation inst, File agentJar, boolean attached, Natives natives) {
            this.config = config;
            this.inst = inst;
            this.agentJar = agentJar;
            this.attached = attached;
            this.natives = natives;
            this.calls = natives.calls;
            this.listener = new TransformListener(config.debugTransform());
        }

        void run(String version) {
            try {
                long t0 = System.nanoTime();
                Path cacheDir = config.cache() ? TransformCache.directory(config.cacheDir()) : null;
                natives.keepJffiStub(cacheDir);
                FutureTask<Integer> prepare = prepareTrackerMeanwhile();
                instrumentJdkTypes(cacheDir);
                // Flight Recorder's classes (about 8 ms) here, while the helper is still busy: the
                // events stay off until they are registered, so the warm-up does not need them.
                Events.load();
                long t1 = System.nanoTime();
                int capacity = result(prepare);
                long t2 = System.nanoTime();
                FdTracker tracker = tracker(capacity);
                LeakLog leaks = config.leaks() ? new LeakLog() : null;
                ManagedFiles files = new ManagedFiles(tracker, config.pathFilter(), agentJar.getAbsolutePath(),
                        config.logFile() == null ? null : config.logFile().toAbsolutePath().toString(), leaks,
                        attached, config.pinOnGetFd());
                FdBridge.install(files);
                long t3 = System.nanoTime();
                // After the helper's work, not during it: the call-site pre-filter would otherwise
                // read every JDK class jnr loads, on the thread everything waits for.
                callSites = CallSiteSubstitution.install(inst, Installer.class.getClassLoader(), listener,
                        config.debugTransform(), cached);
                storeInCache();
                long t4 = System.nanoTime();
                selfTest(files, config.pathFilter());
                log.debug("start-up: JDK types {} ms, then waited {} ms for capacity+warm-up, tracker {} ms,"
                        + " call sites {} ms, self-test {} ms",
                        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000,
                        (t4 - t3) / 1_000_000, (System.nanoTime() - t4) / 1_000_000);
                startReaper(files);
                log.info("fdcap {} active: {} (tracker capacity {})", version, config, capacity);
                // The counters shown start here: what the self-test and the first log line (the
                // JDK's time-zone file, read for its time stamp) did with files is not the program's.
                TrackerStats startUp = tracker.stats();
                Operations.start(inst, config, version, tracker, startUp, leaks,
                        new java.util.function.Supplier<java.util.List<LeakLog.OpenFile>>() {
                            @Override
                            public java.util.List<LeakLog.OpenFile> get() {
                                return files.stillOpen();
                            }
                        });
            } catch (ConfigException e) {
                takeBack();
                System.err.println("fdcap: " + e.getMessage() + "; running without fdcap");
            } catch (Throwable t) {
                takeBack();
                log.error("fdcap could not start; running without fdcap", t);
            }
        }

        /**
         * jffi (JDK 17-21) and the tracker's code (the capacity, then a warm-up of the
         * suspend/restore path) on a helper thread while this one has Byte Buddy instrument the
         * JDK types: the two are independent (the bridge has no hooks until FdBridge.install, so
         * the instrumented JDK code does nothing new meanwhile), and they overlap on a machine with
         * more than one core. No program code runs before premain returns.
         */
        private FutureTask<Integer> prepareTrackerMeanwhile() {
            // Anonymous classes rather than lambdas on this path: each lambda is a class spun while
            // the program waits (about a millisecond each in the interpreter), a class from the
            // jar is only read.
            FutureTask<Integer> prepare = new FutureTask<>(new java.util.concurrent.Callable<Integer>() {
                @Override
                public Integer call() throws Exception {
                    warmUp(calls);
                    // Counted after the warm-up: what it leaves open for good counts against the cap
                    // (on JDK 17 without the cache directory, SecureRandom's /dev/random and
                    // /dev/urandom, from the temporary file jffi extracts its stub to).
                    return capacity(config);
                }
            });
            Thread helper = new Thread(prepare, "fdcap-start");
            helper.setDaemon(true);
            helper.start();
            return prepare;
        }

        /**
         * The instrumented JDK types from an earlier start when they match this JVM's, else woven
         * by Byte Buddy now (and stored for the next start).
         */
        private void instrumentJdkTypes(Path cacheDir) throws Exception {
            cache = cacheDir == null ? null : TransformCache.in(cacheDir, agentJar);
            cached = cache == null ? null : cache.read();
            jdkTypes = JdkTypes.install(inst, cached, new java.util.function.Supplier<java.lang.instrument.ClassFileTransformer>() {
                @Override
                public java.lang.instrument.ClassFileTransformer get() {
                    return Instrumentations.transformer(listener);
                }
            }, config.debugTransform());
            listener.check();
            if (!jdkTypes.complete()) {
                throw new IllegalStateException("instrumented only some of the " + Instrumentations.TYPES.size()
                        + " JDK types");
            }
            log.debug("JDK types {}", jdkTypes.fromCache() ? "from the cache " + cache.file()
                    : "woven by Byte Buddy (" + (cache == null ? "no cache" : jdkTypes.mismatch()
                            ? "the cache did not match this JVM's classes" : "nothing cached yet") + ")");
        }

        /**
         * Stores what was made in this start, when the cache did not already hold it: the JDK
         * types woven by Byte Buddy, and the JDK classes whose call sites were rewritten (with the
         * cached types when those were used). Once the call sites are done, so one file holds both.
         */
        private void storeInCache() {
            if (cache == null || jdkTypes.fromCache() && !callSites.rewrittenAnew()) {
                return;
            }
            Map<String, JdkTypes.Cached> store = new HashMap<>(callSites.rewrittenJdkClasses());
            if (jdkTypes.fromCache()) {
                for (Map.Entry<String, JdkTypes.Cached> e : cached.entrySet()) {
                    if (JdkTypes.instrumented(e.getKey())) {
                        store.put(e.getKey(), e.getValue());
                    }
                }
            } else {
                store.putAll(jdkTypes.woven());
            }
            cache.write(store);
        }

        private FdTracker tracker(int capacity) {
            return FdTracker.builder()
                    .capacity(capacity)
                    .systemCalls(calls)
                    .unlinkedFilePool(config.unlinkedDir())
                    .leakTracing(false)
                    // Not when attached: a method running at the attach (a main loop) keeps its old
                    // code for good, so its direct calls of getFilePointer() & co. are not rewritten;
                    // a handle suspended by the background thread between its restore and such a
                    // call would fail the call (AttachIT saw "Stream Closed"). Room is made on demand.
                    .spare(attached ? 0 : config.spare())
                    .spareThreads(ManagedFiles.EVICTOR_THREADS)
                    .build();
        }

        /** Undoes what was installed: the program goes on as without the agent. */
        private void takeBack() {
            FdBridge.install(null);
            if (callSites != null) {
                inst.removeTransformer(callSites);
            }
            if (jdkTypes != null) {
                jdkTypes.uninstall(inst);
            }
        }
    }

    /**
     * The tracker's capacity: the cap ({@code fdcap.max}, by default the soft RLIMIT_NOFILE less
     * {@code fdcap.reserve}) less the descriptors already open that the agent does not manage,
     * less a small margin. Never above what the OS allows.
     */
    static int capacity(AgentConfig config) throws ConfigException {
        long soft = NativeCalls.softNofileLimit();
        long max = config.max() != null ? Math.min(config.max(), soft) : soft - config.reserve();
        int open = NativeCalls.openDescriptors();
        long capacity = max - open - MARGIN;
        if (capacity < 1) {
            String setting = config.max() != null ? "fdcap.max=" + config.max() + " (" + config.origin("max") + ")"
                    : "fdcap.reserve=" + config.reserve() + " (" + config.origin("reserve") + ", with RLIMIT_NOFILE "
                    + soft + ")";
            throw new ConfigException("invalid " + setting + ": expected a cap above the " + (open + MARGIN)
                    + " descriptors the process already holds plus a margin");
        }
        return (int) Math.min(Integer.MAX_VALUE, capacity);
    }

    /** What the helper thread computed, or what it threw. */
    private static int result(FutureTask<Integer> task) throws Exception {
        try {
            return task.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    /** Classes whose first use inside a transformation is known to cause ClassCircularityError. */
    private static void preloadJdkClasses() {
        ThreadLocalRandom.current();
        FileSystems.getDefault();
        try {
            Class.forName("java.lang.invoke.MethodHandle$1", false, null);
        } catch (ClassNotFoundException ignored) {
            // not in this JDK
        }
    }

    /**
     * Runs the suspend/restore path on two scratch files with a one-slot tracker, through the
     * same hooks the instrumentation calls, so that every class and method handle on it is loaded
     * and linked before any program file depends on it.
     */
    private static void warmUp(SystemCalls calls) throws IOException {
        Path dir = ScratchFile.createDirectory(null, "fdcap-warmup");
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.write(a, new byte[] {1, 2, 3});
        Files.write(b, new byte[] {4, 5, 6});
        // Room for both files: every restore below succeeds (with one slot, the restore of the
        // close found the other file pinned for good and waited 200 ms for a release).
        FdTracker scratch = FdTracker.builder().capacity(2).systemCalls(calls).build();
        ManagedFiles files = new ManagedFiles(scratch, new AgentConfig.PathFilter(java.util.List.of(),
                java.util.List.of()), "", null, null, false, false);
        try (RandomAccessFile ra = new RandomAccessFile(a.toFile(), "rw");
                FileChannel cb = FileChannel.open(b, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileDescriptor fa = ra.getFD();
            FileDescriptor fb = JdkAccess.fdOfChannel(cb);
            files.notOpened(files.opening(a.toString(), false));
            files.rafOpened(ra, fa, a.toString(), 2, files.opening(a.toString(), false));
            files.channelOpened(cb, b.toString(), Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE),
                    files.opening(b.toString(), true));
            for (int i = 0; i < 4; i++) {
                files.makeRoom(2); // both suspended: the enters below restore them
                Object t = files.enter(fa);
                ra.seek(1);
                ra.read();
                files.exit(t);
                files.isSuspended(fa);
                t = files.enter(ra);
                files.exit(t);
                t = files.enterWithChannel(fb, cb);
                cb.position(1);
                files.exit(t);
            }
            files.makeRoom(1);
            files.outOfDescriptors(new IOException("warm-up"));
            Path c = dir.resolve("c");
            Object rename = files.beforeRename(b.toString(), c.toString());
            Files.move(b, c);
            files.nameChanged(rename);
            files.copied(files.beforeCopy(dir.resolve("d").toString()));
            Object remove = files.beforeRemove(c.toString());
            Files.delete(c);
            files.nameChanged(remove);
            for (int i = 0; i < 2; i++) {
                files.makeRoom(2); // suspended: restored through the anchor
                files.exit(files.enter(fb));
            }
            Object hold = files.lockStarting(fb);
            try (java.nio.channels.FileLock lock = cb.lock()) {
                files.lockDone(hold, lock);
                files.unlocked(lock);
            }
            files.escaped(fb);
            try (java.io.FileInputStream in = new java.io.FileInputStream(a.toFile())) {
                FileDescriptor fi = in.getFD();
                files.streamOpened(fi, a.toString(), false, false, files.opening(a.toString(), false));
                files.makeRoom(2);
                files.exit(files.enter(fi));
                files.exitClose(files.enterClose(fi));
            }
            files.sharedWithStream(fb);
            files.exitClose(files.enterClose(fa));
            files.exitClose(files.enterClose(fb));
        } finally {
            scratch.destroy();
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Checks that opens are really intercepted; throws (the agent then backs out) when not. The
     * scratch file is in the temporary directory: when include/exclude leave that out, only the
     * file operations are checked.
     */
    private static void selfTest(ManagedFiles files, AgentConfig.PathFilter filter) throws IOException {
        Path tmp = ScratchFile.create(null, "fdcap-selftest", ".bin");
        try {
            int before = files.size();
            try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw");
                    FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ)) {
                raf.write(42);
                if (filter.test(tmp.toAbsolutePath().toString()) && files.size() < before + 2) {
                    throw new IllegalStateException("self-test: opens are not intercepted");
                }
                if (raf.getFilePointer() != 1 || ch.size() != 1) {
                    throw new IllegalStateException("self-test: unexpected file state");
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void startReaper(ManagedFiles files) {
        Thread reaper = new Thread(new Runnable() {
            @Override
            public void run() {
                while (true) {
                    try {
                        files.reclaimNext(60_000);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Throwable t) {
                        LoggerFactory.getLogger(Installer.class).warn("reaper", t);
                    }
                }
            }
        }, "fdcap-reaper");
        reaper.setDaemon(true);
        reaper.start();
    }

    /** Records Byte Buddy's failures and successes; never throws, never logs from a transformation. */
    static final class TransformListener extends AgentBuilder.Listener.Adapter {
        private final boolean debug;
        private volatile Throwable failure;
        private volatile String failedType;

        /** @param debug print every transformation and error on stderr ({@code fdcap.debug.transform}) */
        TransformListener(boolean debug) {
            this.debug = debug;
        }

        @Override
        public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
                DynamicType dynamicType) {
            if (debug) {
                System.err.println("fdcap: transformed " + type.getName());
            }
        }

        @Override
        public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable t) {
            if (debug) {
                System.err.println("fdcap: transform error " + typeName + ": " + t);
            }
            if (failure == null) {
                failure = t;
                failedType = typeName;
            }
        }

        void check() {
            if (failure != null) {
                throw new IllegalStateException("could not instrument " + failedType, failure);
            }
        }
    }
}
