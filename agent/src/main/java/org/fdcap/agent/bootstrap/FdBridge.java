package org.fdcap.agent.bootstrap;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.SyncFailedException;
import java.lang.invoke.CallSite;
import java.lang.invoke.ConstantCallSite;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The only agent code the instrumented JDK classes call. It lives on the bootstrap class path
 * (visible from {@code java.base}) and depends on nothing but the JDK; it forwards to the
 * {@link Hooks} the agent installs from its own class loader. Until then, and after a failed
 * start, every method is a no-op that leaves the JDK's behaviour unchanged.
 *
 * <p>Tokens: {@code enter*} methods return an opaque token (or {@code null} when the descriptor
 * is not managed) that must be passed to the matching {@code exit*} method exactly once.
 *
 * <p>No lambdas, no string concatenation through invokedynamic, no logging: this code runs inside
 * class loading (class-path jars are {@code RandomAccessFile}s too).
 */
public final class FdBridge {
    private static volatile Hooks hooks;

    /**
     * What {@link #enterSeek} returns when it moved a suspended descriptor's offset itself: the
     * advised {@code seek} then skips its body (its native lseek would need the descriptor open).
     */
    public static final Sought SOUGHT = new Sought();

    /** The type of {@link #SOUGHT}, which the seek advice skips on. */
    public static final class Sought {
        private Sought() {
        }
    }

    /**
     * What the enter advice of {@code File.delete}/{@code File.renameTo} returns when the change
     * cannot be made safely (see {@link #beforeRemove}): the method is skipped and answers false,
     * as it does for any other failure.
     */
    public static final Refused REFUSED = new Refused();

    /** The type of {@link #REFUSED}, which the java.io name-change advice skips on. */
    public static final class Refused {
        private Refused() {
        }
    }

    private FdBridge() {
    }

    /** What the agent does at each instrumented point; implemented in the agent's class loader. */
    public interface Hooks {
        /**
         * A file is about to be opened by name (RandomAccessFile, FileChannel): room is made for
         * its descriptor first; returns what {@link #rafOpened}/{@link #channelOpened} take, or
         * null when the file will not be managed.
         *
         * @throws IOException no room can be made: the open must fail as at the OS's limit
         */
        Object opening(String path, boolean channel) throws IOException;

        /** The open of {@link #opening} failed or was not managed after all: the room goes back. */
        void notOpened(Object slot);

        void rafOpened(RandomAccessFile raf, FileDescriptor fd, String name, int mode, Object slot);

        /**
         * A FileChannel was opened on {@code path} with {@code options} (the {@code Set} of open
         * options the JDK opened it with, or null when they are not known).
         */
        void channelOpened(Object channel, String path, Object options, Object slot);

        /** A FileInputStream ({@code output} false) or FileOutputStream was opened on {@code name}. */
        void streamOpened(FileDescriptor fd, String name, boolean output, boolean append, Object slot);

        Object enter(FileDescriptor fd) throws IOException;

        Object enter(RandomAccessFile raf) throws IOException;

        Object enterWithChannel(FileDescriptor fd, Object otherChannel) throws IOException;

        /** {@link FdBridge#SOUGHT} when the seek was done without restoring; else as {@code enter}. */
        Object enterSeek(FileDescriptor fd, long position) throws IOException;

        /** The saved offset of {@code raf}'s descriptor when it is managed and suspended; else -1. */
        long suspendedOffset(RandomAccessFile raf);

        void exit(Object token);

        Object enterClose(FileDescriptor fd);

        void exitClose(Object token);

        void escaped(FileDescriptor fd);

        void sharedWithStream(FileDescriptor fd);

        /** A lock is about to be taken through {@code fd}: returns a hold for {@link #lockDone}. */
        Object lockStarting(FileDescriptor fd);

        /** The lock attempt ended: {@code lock} is the FileLock taken, or null (none, or it failed). */
        void lockDone(Object hold, Object lock);

        /** A FileLock was released or invalidated. */
        void unlocked(Object lock);

        boolean isSuspended(FileDescriptor fd);

        /** The name {@code path} is about to be removed; a token for {@link #nameChanged}, or null. */
        Object beforeRemove(String path) throws IOException;

        /** {@code from} is about to be renamed to {@code to}; a token for {@link #nameChanged}, or null. */
        Object beforeRename(String from, String to) throws IOException;

        /** The delete or rename of the token is over, whether or not it happened. */
        void nameChanged(Object token);

        /**
         * {@code Files.copy} to {@code target} is about to open two descriptors of its own (the
         * source and the target): room is made for them, and the target's name may be replaced.
         * Returns a token for {@link #copied}.
         */
        Object beforeCopy(String target) throws IOException;

        /** The copy of the token is over: its room goes back. */
        void copied(Object token);

        boolean outOfDescriptors(Throwable failure);
    }

    /** Installs the agent's hooks; from now on the instrumented classes are managed. */
    public static void install(Hooks h) {
        hooks = h;
    }

    /** Whether an agent's hooks are installed (a second start of the agent in one JVM is refused). */
    public static boolean installed() {
        return hooks != null;
    }

    /**
     * Enter of {@code RandomAccessFile.open(String, int)} and {@code UnixChannelFactory.newFileChannel}:
     * room for the descriptor is made before it is opened, so the cap holds at every moment.
     *
     * @return what the exit passes on (null when the file is not managed)
     * @throws IOException no room can be made: the open fails as it would at the OS's limit
     */
    public static Object opening(String path) throws IOException {
        Hooks h = hooks;
        return h == null || path == null ? null : h.opening(path, false);
    }

    /** As {@link #opening(String)}, for {@code FileChannel.open} (whose failures are FileSystemExceptions). */
    public static Object openingChannel(Object path) throws IOException {
        Hooks h = hooks;
        return h == null || path == null ? null : h.opening(path.toString(), true);
    }

    /** Exit of {@code RandomAccessFile.open(String, int)}: a descriptor was opened, or the open failed. */
    public static void rafOpened(RandomAccessFile raf, FileDescriptor fd, String name, int mode, Object slot,
            Throwable thrown) {
        if (slot == null) {
            return;
        }
        Hooks h = hooks;
        if (h == null) {
            return;
        }
        if (thrown != null || fd == null) {
            h.notOpened(slot);
        } else {
            h.rafOpened(raf, fd, name, mode, slot);
        }
    }

    /**
     * Exit of {@code FileInputStream.open(String)} / {@code FileOutputStream.open(String, boolean)}:
     * a descriptor was opened, or the open failed.
     */
    public static void streamOpened(FileDescriptor fd, String name, boolean output, boolean append, Object slot,
            Throwable thrown) {
        if (slot == null) {
            return;
        }
        Hooks h = hooks;
        if (h == null) {
            return;
        }
        if (thrown != null || fd == null) {
            h.notOpened(slot);
        } else {
            h.streamOpened(fd, name, output, append, slot);
        }
    }

    /**
     * Exit of {@code UnixChannelFactory.newFileChannel}: a channel was opened, or the open failed.
     * {@code options} is the {@code Set} of open options it was given, or null.
     */
    public static void channelOpened(Object channel, Object path, Object options, Object slot, Throwable thrown) {
        if (slot == null) {
            return;
        }
        Hooks h = hooks;
        if (h == null) {
            return;
        }
        if (thrown != null || channel == null) {
            h.notOpened(slot);
        } else {
            h.channelOpened(channel, String.valueOf(path), options, slot);
        }
    }

    /** Before an operation that uses {@code fd}: restores it if suspended and pins it. */
    public static Object enter(FileDescriptor fd) throws IOException {
        Hooks h = hooks;
        return h == null || fd == null ? null : h.enter(fd);
    }

    /** Like {@link #enter(FileDescriptor)} for a channel operation that also uses another channel. */
    public static Object enterWithChannel(FileDescriptor fd, Object otherChannel) throws IOException {
        Hooks h = hooks;
        return h == null || fd == null ? null : h.enterWithChannel(fd, otherChannel);
    }

    /**
     * Before {@code RandomAccessFile.seek(position)}: a suspended descriptor only has its saved
     * offset moved, and stays suspended ({@link #SOUGHT}: the seek is done); otherwise as
     * {@link #enter(FileDescriptor)}. A negative position goes the usual way, to the JDK's error.
     */
    public static Object enterSeek(FileDescriptor fd, long position) throws IOException {
        Hooks h = hooks;
        return h == null || fd == null ? null : h.enterSeek(fd, position);
    }

    /** After the operation, however it ended: unpins. */
    public static void exit(Object token) {
        if (token != null) {
            Hooks h = hooks;
            if (h != null) {
                h.exit(token);
            }
        }
    }

    /** Before a close: restores (so the JDK's close runs unchanged) and pins. */
    public static Object enterClose(FileDescriptor fd) {
        Hooks h = hooks;
        return h == null || fd == null ? null : h.enterClose(fd);
    }

    /** After a close, however it ended: the agent forgets the descriptor. */
    public static void exitClose(Object token) {
        if (token != null) {
            Hooks h = hooks;
            if (h != null) {
                h.exitClose(token);
            }
        }
    }

    /**
     * The descriptor object escaped ({@code getFD()}): unless the agent follows such objects
     * ({@code fdcap.getfd=follow}), it is never suspended again.
     */
    public static void escaped(FileDescriptor fd) {
        Hooks h = hooks;
        if (h != null && fd != null) {
            h.escaped(fd);
        }
    }

    /**
     * A {@code FileInputStream} or {@code FileOutputStream} was built on {@code fd}: its reads and
     * writes are native and use the descriptor directly, so it is never suspended again.
     */
    public static void sharedWithStream(FileDescriptor fd) {
        Hooks h = hooks;
        if (h != null && fd != null) {
            h.sharedWithStream(fd);
        }
    }

    /**
     * Enter of {@code FileChannelImpl.lock/tryLock}: restores and pins the channel's descriptor,
     * and from now on no descriptor of the file is suspended (closing any would drop the lock the
     * moment the kernel grants it). Returns the tokens for {@link #exitLock}.
     */
    public static Object[] enterLock(FileDescriptor fd) throws IOException {
        Hooks h = hooks;
        if (h == null || fd == null) {
            return null;
        }
        Object pin = h.enter(fd);
        Object hold;
        try {
            hold = h.lockStarting(fd);
        } catch (RuntimeException | Error e) {
            h.exit(pin);
            throw e;
        }
        return new Object[] {pin, hold};
    }

    /** Exit of {@code lock/tryLock}: {@code lock} is the FileLock taken, or null. */
    public static void exitLock(Object[] tokens, Object lock) {
        Hooks h = hooks;
        if (h != null && tokens != null) {
            try {
                h.lockDone(tokens[1], lock);
            } finally {
                h.exit(tokens[0]);
            }
        }
    }

    /** Exit of {@code FileLockImpl.invalidate()}: the lock is released (or its channel closed). */
    public static void unlocked(Object lock) {
        Hooks h = hooks;
        if (h != null && lock != null) {
            h.unlocked(lock);
        }
    }

    /** Whether {@code fd} is managed, open for its owner, and suspended now (for {@code valid()}). */
    public static boolean isSuspended(FileDescriptor fd) {
        Hooks h = hooks;
        return h != null && h.isSuspended(fd);
    }

    /**
     * The name {@code path} is about to be removed (deleted, or replaced by a copy over it): a
     * managed file there stays reachable for its handles. Returns a token for
     * {@link #nameChanged}; throws when that cannot be arranged (every descriptor under the cap
     * is held and some of the file's descriptors are suspended): the removal must not happen.
     */
    public static Object beforeRemove(String path) throws IOException {
        Hooks h = hooks;
        return h == null || path == null ? null : h.beforeRemove(path);
    }

    /** {@code from} is about to be renamed to {@code to}: as {@link #beforeRemove} for both names. */
    public static Object beforeRename(String from, String to) throws IOException {
        Hooks h = hooks;
        return h == null || from == null || to == null ? null : h.beforeRename(from, to);
    }

    /** For java.io, whose methods answer false rather than throw: {@link #REFUSED} instead of the exception. */
    public static Object beforeRemoveOrRefuse(String path) {
        try {
            return beforeRemove(path);
        } catch (IOException | RuntimeException e) {
            return REFUSED;
        }
    }

    /** For java.io: {@link #REFUSED} instead of the exception. */
    public static Object beforeRenameOrRefuse(String from, String to) {
        try {
            return beforeRename(from, to);
        } catch (IOException | RuntimeException e) {
            return REFUSED;
        }
    }

    /**
     * Enter of {@code UnixFileSystemProvider.copy}: room for the copy's two descriptors, and the
     * target's name may be replaced ({@link #beforeRemove}). Returns a token for {@link #copied}.
     */
    public static Object beforeCopy(String target) throws IOException {
        Hooks h = hooks;
        return h == null || target == null ? null : h.beforeCopy(target);
    }

    /** Exit of the copy, however it ended. */
    public static void copied(Object token) {
        if (token != null) {
            Hooks h = hooks;
            if (h != null) {
                h.copied(token);
            }
        }
    }

    /** After the delete or rename of {@code token}, however it ended. */
    public static void nameChanged(Object token) {
        if (token != null && token != REFUSED) {
            Hooks h = hooks;
            if (h != null) {
                h.nameChanged(token);
            }
        }
    }

    /**
     * An open failed; when the OS refused it for lack of descriptors (EMFILE/ENFILE: descriptors
     * the agent does not manage grew past its reserve), suspends some and answers true: the
     * caller retries the open.
     */
    public static boolean outOfDescriptors(Throwable failure) {
        Hooks h = hooks;
        return h != null && failure != null && h.outOfDescriptors(failure);
    }

    // ---- replacements for call sites of public native methods (see CallSiteSubstitution) ----
    //
    // Two kinds per method. A virtual call (raf.length()) is replaced by the method of the same
    // name: when the object's class overrides the method, the override runs, untouched and
    // without a pin (it is the program's code; its own super call comes back through the second
    // kind); otherwise the JDK's method runs, restored and pinned. A super call in a subclass
    // (super.length(), invokespecial) is replaced by the method named ...Super: it reaches the
    // JDK's own implementation and never an override, as invokespecial does; calling the method
    // virtually there would run the override again, and again, until the stack overflows.

    /**
     * Replaces {@code raf.getFilePointer()} (a native method on every JDK). A suspended file
     * answers its saved offset and stays suspended; an override is called as it is.
     */
    public static long getFilePointer(RandomAccessFile raf) throws IOException {
        if (raf != null && Overrides.has(raf, Overrides.GET_FILE_POINTER)) {
            return raf.getFilePointer();
        }
        return getFilePointerSuper(raf);
    }

    /** Replaces {@code super.getFilePointer()}: the JDK's own, restoring and pinning as needed. */
    public static long getFilePointerSuper(RandomAccessFile raf) throws IOException {
        Hooks h = hooks;
        if (h != null && raf != null) {
            long saved = h.suspendedOffset(raf);
            if (saved >= 0) {
                return saved;
            }
        }
        Object token = enterRaf(raf);
        try {
            return (long) JdkMethods.GET_FILE_POINTER.invokeExact(raf);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw JdkMethods.undeclared(t);
        } finally {
            exit(token);
        }
    }

    /** Replaces {@code raf.length()} (a native method on JDK 17). */
    public static long length(RandomAccessFile raf) throws IOException {
        if (raf != null && Overrides.has(raf, Overrides.LENGTH)) {
            return raf.length();
        }
        return lengthSuper(raf);
    }

    /** Replaces {@code super.length()} (a native method on JDK 17): the JDK's own. */
    public static long lengthSuper(RandomAccessFile raf) throws IOException {
        Object token = enterRaf(raf);
        try {
            return (long) JdkMethods.LENGTH.invokeExact(raf);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw JdkMethods.undeclared(t);
        } finally {
            exit(token);
        }
    }

    /** Replaces {@code raf.setLength(n)} (a native method on JDK 17). */
    public static void setLength(RandomAccessFile raf, long newLength) throws IOException {
        if (raf != null && Overrides.has(raf, Overrides.SET_LENGTH)) {
            raf.setLength(newLength);
            return;
        }
        setLengthSuper(raf, newLength);
    }

    /** Replaces {@code super.setLength(n)} (a native method on JDK 17): the JDK's own. */
    public static void setLengthSuper(RandomAccessFile raf, long newLength) throws IOException {
        Object token = enterRaf(raf);
        try {
            JdkMethods.SET_LENGTH.invokeExact(raf, newLength);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw JdkMethods.undeclared(t);
        } finally {
            exit(token);
        }
    }

    /** Replaces {@code fd.sync()} (a native method on JDK 17; FileDescriptor is final: no override). */
    public static void sync(FileDescriptor fd) throws SyncFailedException {
        Object token;
        try {
            token = enter(fd);
        } catch (IOException e) {
            SyncFailedException s = new SyncFailedException(e.getMessage());
            s.initCause(e);
            throw s;
        }
        try {
            fd.sync();
        } finally {
            exit(token);
        }
    }

    /**
     * Links an {@code invokedynamic} that stands for a call of {@code name} on a type of the
     * program's own (see {@code NativeCallRewriter}): {@code type} is the call's, its receiver
     * first. The call is resolved with the caller's own lookup, as the JVM would resolve it, and
     * runs through this bridge only where it would reach RandomAccessFile's native method:
     *
     * <ul>
     *   <li>{@code kind} 0, a virtual call on a class: when the class is a RandomAccessFile (a
     *       subclass), the bridge method of the same name (which calls an override as it is);
     *       otherwise the call as it was;</li>
     *   <li>1, an interface call: for receivers that are RandomAccessFiles the bridge method, for
     *       the others the call as it was;</li>
     *   <li>2, a super call from a deeper subclass: RandomAccessFile's own method through the
     *       bridge when that is what it reaches, else the override it reaches, as it is.</li>
     * </ul>
     */
    public static CallSite nativeCall(MethodHandles.Lookup caller, String name, MethodType type, int kind,
            Class<?> owner) throws ReflectiveOperationException {
        MethodType call = type.dropParameterTypes(0, 1);
        MethodHandle original = kind == 2 ? caller.findSpecial(owner, name, call, caller.lookupClass())
                : caller.findVirtual(owner, name, call);
        MethodHandle target;
        if (kind == 2) {
            Class<?> reached = caller.revealDirect(original).getDeclaringClass();
            target = reached == RandomAccessFile.class ? bridgeMethod(name + "Super") : original;
        } else if (RandomAccessFile.class.isAssignableFrom(owner)) {
            target = bridgeMethod(name);
        } else if (owner.isInterface()) {
            MethodHandle isRaf = JdkMethods.IS_RAF.asType(MethodType.methodType(boolean.class, type.parameterType(0)));
            target = MethodHandles.guardWithTest(isRaf, bridgeMethod(name).asType(type), original.asType(type));
        } else {
            target = original;
        }
        return new ConstantCallSite(target.asType(type));
    }

    private static MethodHandle bridgeMethod(String name) throws ReflectiveOperationException {
        MethodType type = name.startsWith("setLength") ? MethodType.methodType(void.class, RandomAccessFile.class, long.class)
                : MethodType.methodType(long.class, RandomAccessFile.class);
        return MethodHandles.lookup().findStatic(FdBridge.class, name, type);
    }

    /**
     * Makes sure the JDK's own methods can be reached for super calls (the agent opened java.io
     * to this module first); called as the agent starts, so that a JDK where they cannot means
     * no agent rather than failing calls in the program.
     */
    public static void requireJdkMethods() {
        JdkMethods.LENGTH.type();
    }

    private static Object enterRaf(RandomAccessFile raf) throws IOException {
        Hooks h = hooks;
        return h == null || raf == null ? null : h.enter(raf);
    }

    /** What the agent does with the platform MBean server once it exists; null when nothing (or done). */
    private static volatile java.util.function.Consumer<Object> platformServerHook;

    /**
     * Sets what {@link #platformMBeanServer} hands the platform MBean server to (null: nothing);
     * the agent sets it back to null once it is done with it.
     */
    public static void onPlatformMBeanServer(java.util.function.Consumer<Object> hook) {
        platformServerHook = hook;
    }

    /**
     * Inserted before the return of {@code ManagementFactory.getPlatformMBeanServer()} (which runs
     * under ManagementFactory's lock, so the agent sees the server before any caller does): hands
     * the server to the agent's hook, if any. Never throws into the caller.
     */
    public static void platformMBeanServer(Object server) {
        java.util.function.Consumer<Object> h = platformServerHook;
        if (h != null) {
            try {
                h.accept(server);
            } catch (Throwable ignored) {
                // the program gets its server whatever happened to the agent's MBean
            }
        }
    }

    /**
     * Which of the rewritten methods a subclass of RandomAccessFile overrides, computed once per
     * class (a few reflective lookups, outside every hot path: RandomAccessFile itself is answered
     * without them).
     */
    private static final class Overrides extends ClassValue<Integer> {
        static final int GET_FILE_POINTER = 1;
        static final int LENGTH = 2;
        static final int SET_LENGTH = 4;
        private static final Overrides BY_CLASS = new Overrides();

        static boolean has(RandomAccessFile raf, int method) {
            Class<?> c = raf.getClass();
            return c != RandomAccessFile.class && (BY_CLASS.get(c).intValue() & method) != 0;
        }

        @Override
        protected Integer computeValue(Class<?> type) {
            int found = 0;
            for (Class<?> c = type; c != RandomAccessFile.class && c != null; c = c.getSuperclass()) {
                found |= declares(c, "getFilePointer") ? GET_FILE_POINTER : 0;
                found |= declares(c, "length") ? LENGTH : 0;
                found |= declares(c, "setLength", long.class) ? SET_LENGTH : 0;
            }
            return Integer.valueOf(found);
        }

        private static boolean declares(Class<?> c, String name, Class<?>... parameters) {
            try {
                int modifiers = c.getDeclaredMethod(name, parameters).getModifiers();
                return !java.lang.reflect.Modifier.isStatic(modifiers) && !java.lang.reflect.Modifier.isPrivate(modifiers);
            } catch (NoSuchMethodException e) {
                return false;
            }
        }
    }

    /**
     * RandomAccessFile's own methods, bound as invokespecial (never an override); java.io is opened
     * to this module by the agent before anything can call them.
     */
    private static final class JdkMethods {
        static final MethodHandle GET_FILE_POINTER;
        static final MethodHandle LENGTH;
        static final MethodHandle SET_LENGTH;
        /** {@code RandomAccessFile.class.isInstance(Object)}: the guard of an interface call. */
        static final MethodHandle IS_RAF;

        static {
            try {
                IS_RAF = MethodHandles.lookup().findVirtual(Class.class, "isInstance",
                        MethodType.methodType(boolean.class, Object.class)).bindTo(RandomAccessFile.class);
                MethodHandles.Lookup raf = MethodHandles.privateLookupIn(RandomAccessFile.class, MethodHandles.lookup());
                GET_FILE_POINTER = raf.findSpecial(RandomAccessFile.class, "getFilePointer",
                        MethodType.methodType(long.class), RandomAccessFile.class);
                LENGTH = raf.findSpecial(RandomAccessFile.class, "length", MethodType.methodType(long.class),
                        RandomAccessFile.class);
                SET_LENGTH = raf.findSpecial(RandomAccessFile.class, "setLength",
                        MethodType.methodType(void.class, long.class), RandomAccessFile.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** A checked exception the JDK method cannot throw (it declares IOException only). */
        static RuntimeException undeclared(Throwable t) {
            return new java.lang.reflect.UndeclaredThrowableException(t);
        }
    }
}
