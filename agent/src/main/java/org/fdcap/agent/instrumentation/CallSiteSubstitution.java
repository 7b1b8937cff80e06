package org.fdcap.agent.instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.isDeclaredBy;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.MemberSubstitution;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Rewrites call sites of the public native methods that advice cannot reach (a native method has
 * no body, and a retransformation cannot add the Java wrapper a native prefix would need):
 * {@code RandomAccessFile.getFilePointer()} on every JDK, {@code RandomAccessFile.length()},
 * {@code setLength(long)} and {@code FileDescriptor.sync()} where they are native (JDK 17). Each
 * call becomes a call to the {@link FdBridge} method of the same name, which restores and pins
 * around the native call.
 *
 * <p>Runs on every class as it loads, so a cheap byte search of the class file comes first: only
 * classes whose constant pool can mention one of these methods are parsed, by one ASM pass
 * ({@link NativeCallRewriter}); the few it cannot decide on go to Byte Buddy's
 * {@code MemberSubstitution}, set up on first need. Classes loaded
 * before the agent are scanned the same way and the few hits retransformed. Method references
 * ({@code raf::getFilePointer}) are rewritten too ({@link MethodHandleConstants}); calls made
 * through reflection, method handles looked up at run time, or JNI are not (documented limit).
 *
 * <p>The JDK classes loaded before the agent (on JDK 17 {@code java.util.zip.ZipFile$Source},
 * on every start) are rewritten the same way each time: their rewritten bytes are kept with the
 * instrumented JDK types in the transform cache ({@link #rewrittenJdkClasses()}), and a later
 * start takes them from there, as {@link JdkTypes} does, when the class bytes the JVM offers have
 * the recorded fingerprint. ASM is then not loaded at start at all.
 */
public final class CallSiteSubstitution implements ClassFileTransformer {
    // Constant-pool UTF-8 entries exactly (tag 1, u2 length, bytes): a name inside a longer
    // string (synchronized, getLength...) does not match.
    private static final byte[] GET_FILE_POINTER = utf8Entry("getFilePointer");
    private static final byte[] RAF = utf8Entry("java/io/RandomAccessFile");
    private static final byte[] LENGTH = utf8Entry("length");
    private static final byte[] SET_LENGTH = utf8Entry("setLength");
    private static final byte[] FD = utf8Entry("java/io/FileDescriptor");
    private static final byte[] SYNC = utf8Entry("sync");
    /**
     * The JDK classes outside java.io that call these natives (found in the JDK 17 and 25
     * sources); the ones already loaded when the agent starts are rewritten. Classes of the
     * application loaded before the agent (rare with -javaagent) are scanned instead.
     */
    private static final Set<String> JDK_CALLERS = Set.of("java.util.zip.ZipFile$Source",
            "javax.imageio.stream.FileImageInputStream", "javax.imageio.stream.FileImageOutputStream",
            "javax.imageio.stream.FileCacheImageOutputStream", "com.sun.media.sound.ModelByteBuffer",
            "com.sun.media.sound.RIFFWriter", "sun.rmi.log.ReliableLog",
            "jdk.jfr.internal.consumer.RecordingInput", "jdk.management.jfr.DiskRepository");

    private final Instrumentation inst;
    private final ClassLoader agentLoader;
    private final AgentBuilder.Listener listener;
    private final boolean nativeLength;
    private final boolean nativeSetLength;
    private final boolean nativeSync;
    /** The fast path (ASM), built when a class first needs it: not at all on a cached start. */
    private volatile NativeCallRewriter rewriter;
    private final Module bridgeModule = FdBridge.class.getModule();
    private final boolean debug;
    /** Rewritten JDK classes recorded by an earlier start (from the transform cache), by internal name. */
    private final Map<String, JdkTypes.Cached> cached;
    /** The JDK classes rewritten on retransformation in this start, by internal name. */
    private final Map<String, JdkTypes.Cached> rewrittenJdkClasses = new ConcurrentHashMap<>();
    /** Whether a JDK class was rewritten by ASM in this start, not taken from {@link #cached}. */
    private volatile boolean rewrittenAnew;
    /** The general path (Byte Buddy), built when a class first needs it. */
    private volatile ClassFileTransformer general;

    private CallSiteSubstitution(Instrumentation inst, ClassLoader agentLoader, AgentBuilder.Listener listener,
            boolean nativeLength, boolean nativeSetLength, boolean nativeSync, boolean debug,
            Map<String, JdkTypes.Cached> cached) {
        this.inst = inst;
        this.debug = debug;
        this.cached = cached == null ? Map.of() : cached;
        this.agentLoader = agentLoader;
        this.listener = listener;
        this.nativeLength = nativeLength;
        this.nativeSetLength = nativeSetLength;
        this.nativeSync = nativeSync;
    }

    /**
     * Registers the transformer for classes loading from now on and rewrites the loaded ones.
     *
     * @param debug print every class rewritten on stderr ({@code fdcap.debug.transform})
     * @param cached what the transform cache holds, by internal class name (the entries of JDK
     *     classes rewritten by an earlier start are used, the others ignored), or null
     */
    public static CallSiteSubstitution install(Instrumentation inst, ClassLoader agentLoader,
            AgentBuilder.Listener listener, boolean debug, Map<String, JdkTypes.Cached> cached)
            throws ReflectiveOperationException {
        boolean nativeLength = Modifier.isNative(RandomAccessFile.class.getMethod("length").getModifiers());
        boolean nativeSetLength = Modifier.isNative(
                RandomAccessFile.class.getMethod("setLength", long.class).getModifiers());
        boolean nativeSync = Modifier.isNative(FileDescriptor.class.getMethod("sync").getModifiers());
        CallSiteSubstitution transformer = new CallSiteSubstitution(inst, agentLoader, listener, nativeLength,
                nativeSetLength, nativeSync, debug, cached);
        inst.addTransformer(transformer, true);
        transformer.rewriteLoaded(inst);
        return transformer;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain domain, byte[] bytes) throws IllegalClassFormatException {
        if (className == null || loader == agentLoader || !mayCallNatives(bytes)
                || className.startsWith("org/fdcap/agent/") || className.startsWith("org/fdcap/core/")
                || className.startsWith("net/bytebuddy/")) {
            return null;
        }
        // A JDK class already loaded (retransformed): the same bytes as the last start made of it.
        // Not the types JdkTypes instruments: what they are offered here is its output, and their
        // entries in the cache are its own.
        boolean jdkRetransformed = classBeingRedefined != null
                && (loader == null || loader == ClassLoader.getPlatformClassLoader())
                && !JdkTypes.NAMES.contains(className);
        byte[] fingerprint = jdkRetransformed ? JdkTypes.fingerprint(bytes) : null;
        JdkTypes.Cached c = jdkRetransformed ? cached.get(className) : null;
        byte[] rewritten;
        boolean fromCache = c != null && Arrays.equals(c.originalFingerprint(), fingerprint);
        if (fromCache) {
            rewritten = c.bytes().clone();
        } else {
            try {
                rewritten = rewriter().rewrite(bytes, loader == null ? null : new LoadedOwners(loader));
            } catch (RuntimeException e) {
                rewritten = NativeCallRewriter.GENERAL; // e.g. a class file version this ASM does not read
            }
            if (rewritten == NativeCallRewriter.GENERAL) {
                return general().transform(module, loader, className, classBeingRedefined, domain, bytes);
            }
            if (rewritten != null && jdkRetransformed) {
                rewrittenAnew = true;
            }
        }
        if (rewritten != null && jdkRetransformed) {
            rewrittenJdkClasses.put(className, new JdkTypes.Cached(fingerprint, rewritten));
        }
        if (rewritten != null) {
            if (module != null && module.isNamed() && !module.canRead(bridgeModule)) {
                inst.redefineModule(module, Set.of(bridgeModule), Map.of(), Map.of(), Set.of(), Map.of());
            }
            if (debug) {
                System.err.println("fdcap: transformed " + className.replace('/', '.') + " (call sites"
                        + (fromCache ? ", from the cache)" : ")"));
            }
        }
        return rewritten;
    }

    /**
     * The JDK classes rewritten on retransformation in this start (from the cache or by ASM), by
     * internal name, with the fingerprint of the bytes they were made from: for the transform
     * cache.
     */
    public Map<String, JdkTypes.Cached> rewrittenJdkClasses() {
        return new HashMap<>(rewrittenJdkClasses);
    }

    /** Whether a JDK class was rewritten in this start other than from the cache (the cache is stale). */
    public boolean rewrittenAnew() {
        return rewrittenAnew;
    }

    /**
     * Which owners of a call are known, without loading anything, never to reach RandomAccessFile's
     * natives: the classes {@code loader} has already loaded or been handed by a parent (so the
     * class being rewritten, which that loader defines, resolves the owner to exactly that class),
     * when they are neither a RandomAccessFile nor an interface. Anything not yet loaded, or any
     * failure, answers false: the call is then linked at its first run, as before. Lucene's calls of
     * its own {@code IndexInput.getFilePointer()} are mostly of this kind.
     */
    static final class LoadedOwners implements java.util.function.Predicate<String> {
        private final ClassLoader loader;

        LoadedOwners(ClassLoader loader) {
            this.loader = loader;
        }

        @Override
        public boolean test(String owner) {
            Class<?> c = FindLoadedClass.find(loader, owner.replace('/', '.'));
            return c != null && !c.isInterface() && !RandomAccessFile.class.isAssignableFrom(c);
        }
    }

    /** {@code ClassLoader.findLoadedClass} (protected): a look-up in the JVM's table, never a load. */
    static final class FindLoadedClass {
        /** Null when java.lang is not open to the agent (then nothing is known). */
        private static final java.lang.reflect.Method METHOD = method();

        private FindLoadedClass() {
        }

        private static java.lang.reflect.Method method() {
            try {
                java.lang.reflect.Method m = ClassLoader.class.getDeclaredMethod("findLoadedClass", String.class);
                m.setAccessible(true);
                return m;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        static Class<?> find(ClassLoader loader, String binaryName) {
            if (METHOD == null) {
                return null;
            }
            try {
                return (Class<?>) METHOD.invoke(loader, binaryName);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return null;
            }
        }
    }

    private NativeCallRewriter rewriter() {
        NativeCallRewriter r = rewriter;
        if (r == null) {
            synchronized (this) {
                r = rewriter;
                if (r == null) {
                    r = new NativeCallRewriter(nativeLength, nativeSetLength, nativeSync);
                    rewriter = r;
                }
            }
        }
        return r;
    }

    /**
     * Byte Buddy's {@code MemberSubstitution}, which resolves the owner of every call: for the
     * classes the fast path leaves undecided.
     */
    private ClassFileTransformer general() {
        ClassFileTransformer g = general;
        if (g == null) {
            synchronized (this) {
                g = general;
                if (g == null) {
                    try {
                        g = buildGeneral();
                    } catch (NoSuchMethodException e) {
                        throw new IllegalStateException(e);
                    }
                    general = g;
                }
            }
        }
        return g;
    }

    private ClassFileTransformer buildGeneral() throws NoSuchMethodException {
        // A virtual call goes to the bridge method of the same name (which calls an override when
        // the object has one); a super call to the ...Super one (the JDK's own method, never the
        // override that is making the call).
        MemberSubstitution substitution = MemberSubstitution.relaxed()
                .method(named("getFilePointer").and(takesNoArguments()).and(isDeclaredBy(RandomAccessFile.class)))
                .onVirtualCall()
                .replaceWith(FdBridge.class.getMethod("getFilePointer", RandomAccessFile.class))
                .method(named("getFilePointer").and(takesNoArguments()).and(isDeclaredBy(RandomAccessFile.class)))
                .onSuperCall()
                .replaceWith(FdBridge.class.getMethod("getFilePointerSuper", RandomAccessFile.class));
        if (nativeLength) {
            substitution = substitution
                    .method(named("length").and(takesNoArguments()).and(isDeclaredBy(RandomAccessFile.class)))
                    .onVirtualCall()
                    .replaceWith(FdBridge.class.getMethod("length", RandomAccessFile.class))
                    .method(named("length").and(takesNoArguments()).and(isDeclaredBy(RandomAccessFile.class)))
                    .onSuperCall()
                    .replaceWith(FdBridge.class.getMethod("lengthSuper", RandomAccessFile.class));
        }
        if (nativeSetLength) {
            substitution = substitution
                    .method(named("setLength").and(takesArguments(long.class)).and(isDeclaredBy(RandomAccessFile.class)))
                    .onVirtualCall()
                    .replaceWith(FdBridge.class.getMethod("setLength", RandomAccessFile.class, long.class))
                    .method(named("setLength").and(takesArguments(long.class)).and(isDeclaredBy(RandomAccessFile.class)))
                    .onSuperCall()
                    .replaceWith(FdBridge.class.getMethod("setLengthSuper", RandomAccessFile.class, long.class));
        }
        if (nativeSync) {
            substitution = substitution
                    .method(named("sync").and(takesNoArguments()).and(isDeclaredBy(FileDescriptor.class)))
                    .replaceWith(FdBridge.class.getMethod("sync", FileDescriptor.class));
        }
        MemberSubstitution rewrite = substitution;
        MethodHandleConstants handles = new MethodHandleConstants(nativeLength, nativeSetLength, nativeSync);
        return new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
                .disableClassFormatChanges()
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.PoolStrategy.Default.FAST)
                .with(listener)
                .ignore(nameStartsWith("org.fdcap.agent.").or(nameStartsWith("org.fdcap.core.")).or(nameStartsWith("net.bytebuddy."))
                        .or(named("java.io.RandomAccessFile")).or(named("java.io.FileDescriptor")))
                .assureReadEdgeTo(inst, FdBridge.class)
                .type(any())
                .transform((builder, type, loader, module, domain) -> builder.visit(rewrite.on(any())).visit(handles))
                .makeRaw();
    }

    /** The pre-filter: can this class file refer to one of the rewritten methods? */
    boolean mayCallNatives(byte[] bytes) {
        if (bytes == null) {
            return false;
        }
        int names;
        try {
            names = constantPoolNames(bytes);
        } catch (RuntimeException e) {
            names = -1;
        }
        if (names < 0) {
            return mayCallNativesByScan(bytes);
        }
        if ((names & NAME_GET_FILE_POINTER) != 0) {
            return true;
        }
        if ((nativeLength || nativeSetLength) && (names & NAME_RAF) != 0
                && (names & (NAME_LENGTH | NAME_SET_LENGTH)) != 0) {
            return true;
        }
        return nativeSync && (names & NAME_FD) != 0 && (names & NAME_SYNC) != 0;
    }

    static final int NAME_GET_FILE_POINTER = 1;
    static final int NAME_RAF = 2;
    static final int NAME_LENGTH = 4;
    static final int NAME_SET_LENGTH = 8;
    static final int NAME_FD = 16;
    static final int NAME_SYNC = 32;

    /**
     * Which of the six names are UTF-8 entries of the constant pool, as bits, or -1 for a class file
     * this walk does not know (then the whole file is scanned). A call needs its names there; a
     * walk of the constant pool compares only the entries of the right lengths, where a scan of
     * the whole file compared every byte: on the ~400 JDK classes a hello-world loads after the
     * agent starts, 40 ms instead of 95 (300 instead of 50 before the JIT has compiled it).
     */
    static int constantPoolNames(byte[] b) {
        if (b.length < 10 || b[0] != (byte) 0xCA || b[1] != (byte) 0xFE || b[2] != (byte) 0xBA
                || b[3] != (byte) 0xBE) {
            return -1;
        }
        int count = u2(b, 8);
        int i = 10;
        int names = 0;
        for (int index = 1; index < count; index++) {
            switch (b[i]) {
                case 1: // Utf8
                    int length = u2(b, i + 1);
                    names |= name(b, i + 3, length);
                    i += 3 + length;
                    break;
                case 3: // Integer
                case 4: // Float
                    i += 5;
                    break;
                case 5: // Long
                case 6: // Double: two slots
                    i += 9;
                    index++;
                    break;
                case 7: // Class
                case 8: // String
                case 16: // MethodType
                case 19: // Module
                case 20: // Package
                    i += 3;
                    break;
                case 9: // Fieldref
                case 10: // Methodref
                case 11: // InterfaceMethodref
                case 12: // NameAndType
                case 17: // Dynamic
                case 18: // InvokeDynamic
                    i += 5;
                    break;
                case 15: // MethodHandle
                    i += 4;
                    break;
                default:
                    return -1;
            }
        }
        return names;
    }

    private static int name(byte[] b, int at, int length) {
        switch (length) {
            case 14:
                return equal(b, at, GET_FILE_POINTER) ? NAME_GET_FILE_POINTER : 0;
            case 24:
                return equal(b, at, RAF) ? NAME_RAF : 0;
            case 6:
                return equal(b, at, LENGTH) ? NAME_LENGTH : 0;
            case 9:
                return equal(b, at, SET_LENGTH) ? NAME_SET_LENGTH : 0;
            case 22:
                return equal(b, at, FD) ? NAME_FD : 0;
            case 4:
                return equal(b, at, SYNC) ? NAME_SYNC : 0;
            default:
                return 0;
        }
    }

    /** Whether the entry's characters (after its 3-byte header) are at {@code b[at]}. */
    private static boolean equal(byte[] b, int at, byte[] entry) {
        int n = entry.length - 3;
        if (at + n > b.length) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (b[at + k] != entry[3 + k]) {
                return false;
            }
        }
        return true;
    }

    private static int u2(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    /** The pre-filter on the whole file, for class files {@link #constantPoolNames} does not read. */
    boolean mayCallNativesByScan(byte[] bytes) {
        if (indexOf(bytes, GET_FILE_POINTER) >= 0) {
            return true;
        }
        if ((nativeLength || nativeSetLength) && indexOf(bytes, RAF) >= 0
                && (indexOf(bytes, LENGTH) >= 0 || indexOf(bytes, SET_LENGTH) >= 0)) {
            return true;
        }
        return nativeSync && indexOf(bytes, FD) >= 0 && indexOf(bytes, SYNC) >= 0;
    }

    /** Classes loaded before the agent (ZipFile$Source on JDK 17 calls RandomAccessFile.length()). */
    private void rewriteLoaded(Instrumentation inst) {
        List<Class<?>> hits = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.isArray() || c.isPrimitive() || c.isHidden() || c.getClassLoader() == agentLoader
                    || !inst.isModifiableClass(c) || c == RandomAccessFile.class || c == FileDescriptor.class
                    || c.getName().startsWith("org.fdcap.agent.") || c.getName().startsWith("net.bytebuddy.")) {
                continue;
            }
            ClassLoader loader = c.getClassLoader();
            boolean jdk = loader == null || loader == ClassLoader.getPlatformClassLoader();
            if (jdk ? JDK_CALLERS.contains(c.getName()) : mayCallNatives(classFile(c))) {
                hits.add(c);
            }
        }
        for (Class<?> c : hits) {
            try {
                inst.retransformClasses(c);
            } catch (Throwable t) {
                // The listener records the failure; the class keeps its original code.
            }
        }
    }

    private static byte[] classFile(Class<?> c) {
        String resource = c.getName().replace('.', '/') + ".class";
        ClassLoader loader = c.getClassLoader();
        try (InputStream in = loader == null ? ClassLoader.getSystemResourceAsStream(resource)
                : loader.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        byte first = needle[0];
        int last = hay.length - needle.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (hay[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] utf8Entry(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        byte[] entry = new byte[b.length + 3];
        entry[0] = 1;
        entry[1] = (byte) (b.length >> 8);
        entry[2] = (byte) b.length;
        System.arraycopy(b, 0, entry, 3, b.length);
        return entry;
    }
}
