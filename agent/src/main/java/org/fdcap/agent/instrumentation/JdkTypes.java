package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The transformer of the JDK types of {@link Instrumentations#TYPES}, in one of two modes:
 *
 * <ul>
 *   <li><b>woven</b>: Byte Buddy ({@link Instrumentations#transformer}) weaves the advice, and
 *       every result is recorded with the fingerprint (length and CRC-32C) of the class bytes it
 *       was made from, so that the caller can store them ({@link #woven()});</li>
 *   <li><b>cached</b>: the bytes recorded by an earlier start are returned as they are, without
 *       loading Byte Buddy, but only for class bytes whose fingerprint is the recorded one. A class
 *       whose bytes differ is left alone and noted ({@link #mismatch()}); the caller then
 *       retransforms all the types again in woven mode, so that no type ends up half instrumented.</li>
 * </ul>
 *
 * <p>This class refers to no Byte Buddy type: in cached mode Byte Buddy is never loaded. The
 * transformer stays registered (retransformation-capable) while the agent runs: when some other
 * agent retransforms one of the types later, the same bytes come back (from the cache when the
 * fingerprint matches, else from Byte Buddy, built then).
 *
 * <p>Why a CRC and not a cryptographic digest: the fingerprint tells this JVM's class bytes from
 * those of another build under the same version strings, or from bytes another agent changed
 * first; nobody gains by forging it (whoever can choose the bytes the JVM offers already runs code
 * in it, and whoever can write the cache directory is the user). A CRC-32C (an intrinsic, in
 * {@code java.base} without the security providers that {@code MessageDigest} loads at start)
 * plus the length catches every burst of up to 32 changed bits and misses a random change with a
 * probability of 2<sup>-32</sup>.
 */
public final class JdkTypes implements ClassFileTransformer {
    /** The internal names of the instrumented types. */
    static final Set<String> NAMES = Set.of("java/io/RandomAccessFile", "sun/nio/ch/FileChannelImpl",
            "java/io/FileDescriptor", "java/io/UnixFileSystem", "sun/nio/fs/UnixFileSystemProvider",
            "sun/nio/fs/UnixChannelFactory", "java/io/FileInputStream", "java/io/FileOutputStream",
            "sun/nio/ch/FileLockImpl");

    /** The length of a {@link #fingerprint}. */
    public static final int FINGERPRINT = 8;

    private final Supplier<ClassFileTransformer> byteBuddyFactory;
    private final Map<String, Cached> cached;
    private final boolean debug;
    private final Map<String, Cached> woven = new ConcurrentHashMap<>();
    /**
     * The fingerprint of the bytes each type was first offered with. The JVM offers a type that no
     * transformer changed differently the second time (it was redefined with its reconstituted
     * bytes), so after a cache mismatch the bytes woven in the second pass are recorded under the
     * fingerprint of what a fresh JVM will offer: the first.
     */
    private final Map<String, byte[]> firstFingerprint = new ConcurrentHashMap<>();
    private volatile boolean useCache;
    private volatile boolean mismatch;
    private volatile ClassFileTransformer byteBuddy;
    private volatile int transformed;

    private JdkTypes(Map<String, Cached> cached, Supplier<ClassFileTransformer> byteBuddyFactory, boolean debug) {
        this.debug = debug;
        this.cached = cached == null ? Collections.emptyMap() : cached;
        this.useCache = cached != null;
        this.byteBuddyFactory = byteBuddyFactory;
    }

    /** A class's transformed bytes, with the fingerprint of the bytes they were made from. */
    public static final class Cached {
        private final byte[] originalFingerprint;
        private final byte[] bytes;

        /** Both arrays are kept as they are (not copied). */
        public Cached(byte[] originalFingerprint, byte[] bytes) {
            this.originalFingerprint = originalFingerprint;
            this.bytes = bytes;
        }

        /** The {@link #fingerprint} of the class bytes the transformation started from. */
        public byte[] originalFingerprint() {
            return originalFingerprint;
        }

        /** The transformed class bytes. */
        public byte[] bytes() {
            return bytes;
        }
    }

    /** Whether {@code internalName} is one of the types this transformer instruments. */
    public static boolean instrumented(String internalName) {
        return NAMES.contains(internalName);
    }

    /** The instrumented types, loaded (they all belong to java.base). */
    public static Class<?>[] load() throws ClassNotFoundException {
        Class<?>[] types = new Class<?>[Instrumentations.TYPES.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = Class.forName(Instrumentations.TYPES.get(i));
        }
        return types;
    }

    /**
     * Registers the transformer and retransforms the types: from {@code cached} when every one of
     * them matches it, else with Byte Buddy (all of them). The caller checks {@link #complete()}.
     *
     * @param cached what an earlier start recorded, or null to weave with Byte Buddy
     * @param byteBuddy makes Byte Buddy's transformer (called at most once, only when needed)
     * @param debug print each type's fingerprint and mode on stderr ({@code fdcap.debug.transform})
     */
    public static JdkTypes install(Instrumentation inst, Map<String, Cached> cached,
            Supplier<ClassFileTransformer> byteBuddy, boolean debug) throws ClassNotFoundException {
        Class<?>[] types = load();
        fingerprint(new byte[0]); // loads its classes before it is needed inside a transformation
        JdkTypes transformer = new JdkTypes(cached, byteBuddy, debug);
        inst.addTransformer(transformer, true);
        try {
            transformer.retransform(inst, types);
        } catch (RuntimeException | Error e) {
            transformer.uninstall(inst);
            throw e;
        }
        return transformer;
    }

    private void retransform(Instrumentation inst, Class<?>[] types) {
        if (useCache) {
            try {
                inst.retransformClasses(types);
            } catch (Throwable t) {
                // e.g. bytes the JVM rejects (a file damaged with a valid checksum): no class was
                // changed by the failed call; Byte Buddy's path reports real problems properly
                mismatch = true;
            }
            if (!mismatch && transformed == types.length) {
                return;
            }
            mismatch = true;
            useCache = false;
            transformed = 0;
        }
        weaver();
        for (Class<?> type : types) {
            // One at a time, as Byte Buddy's own installation does: a type that fails is reported
            // through its listener, and the others are still tried.
            try {
                inst.retransformClasses(type);
            } catch (Throwable t) {
                // reported by the listener; complete() is false
            }
        }
    }

    /** Undoes the instrumentation: the types get their original code back. */
    public void uninstall(Instrumentation inst) {
        inst.removeTransformer(this);
        try {
            inst.retransformClasses(load());
        } catch (Throwable t) {
            // nothing better to do: the bridge has no hooks, so the advice does nothing
        }
    }

    /** Whether every type was transformed by the last installation. */
    public boolean complete() {
        return transformed >= NAMES.size();
    }

    /** Whether the types came from the cache (no Byte Buddy in this start). */
    public boolean fromCache() {
        return useCache;
    }

    /** Whether the cache was offered and did not match this JVM's classes. */
    public boolean mismatch() {
        return mismatch;
    }

    /** What Byte Buddy made in this start, by internal class name; empty when the cache was used. */
    public Map<String, Cached> woven() {
        return new HashMap<>(woven);
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain domain, byte[] bytes) throws IllegalClassFormatException {
        if (loader != null || className == null || !NAMES.contains(className)) {
            return null;
        }
        byte[] fingerprint = fingerprint(bytes);
        byte[] first = firstFingerprint.putIfAbsent(className, fingerprint);
        if (debug) {
            System.err.println("fdcap: " + className + " " + (useCache ? "cached" : "woven") + " crc32c "
                    + String.format("%02x%02x%02x%02x", fingerprint[4], fingerprint[5], fingerprint[6], fingerprint[7])
                    + (classBeingRedefined == null ? " (loading)" : ""));
        }
        if (useCache) {
            Cached c = cached.get(className);
            if (c != null && Arrays.equals(c.originalFingerprint, fingerprint)) {
                transformed++;
                return c.bytes.clone();
            }
            mismatch = true;
            if (!complete()) {
                return null; // still installing: install() weaves all of them again
            }
            // A later retransformation (another agent's) offering other bytes: weave those. If
            // Byte Buddy cannot be set up inside this transformation, keep the cached code: a type
            // losing its advice while the tracker holds suspended descriptors would break them.
            byte[] out;
            try {
                out = weaver().transform(module, loader, className, classBeingRedefined, domain, bytes);
            } catch (Throwable t) {
                out = null;
            }
            return out != null ? out : c == null ? null : c.bytes.clone();
        }
        byte[] out = weaver().transform(module, loader, className, classBeingRedefined, domain, bytes);
        if (out != null) {
            transformed++;
            woven.put(className, new Cached(first != null ? first : fingerprint, out));
        }
        return out;
    }

    private ClassFileTransformer weaver() {
        ClassFileTransformer b = byteBuddy;
        if (b == null) {
            synchronized (this) {
                b = byteBuddy;
                if (b == null) {
                    b = byteBuddyFactory.get();
                    byteBuddy = b;
                }
            }
        }
        return b;
    }

    /**
     * What identifies class bytes in the cache: their length (4 bytes, big-endian), then their
     * CRC-32C (4 bytes, big-endian); {@link #FINGERPRINT} bytes.
     */
    public static byte[] fingerprint(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        long c = crc.getValue();
        int n = bytes.length;
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n,
                (byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c};
    }

    @Override
    public String toString() {
        return "fdcap JDK types (" + (useCache ? "cached" : "woven") + ", " + transformed + " of "
                + NAMES.size() + ")";
    }
}
