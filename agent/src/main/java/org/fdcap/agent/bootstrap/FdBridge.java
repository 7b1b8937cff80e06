package org.fdcap.agent.bootstrap;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.SyncFailedException;

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

    private FdBridge() {
    }

    /** What the agent does at each instrumented point; implemented in the agent's class loader. */
    public interface Hooks {
        void rafOpened(RandomAccessFile raf, FileDescriptor fd, String name, int mode);

        void channelOpened(FileDescriptor fd, String path, Object parent, boolean readable, boolean writable);

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

        void locked(FileDescriptor fd);

        boolean isSuspended(FileDescriptor fd);

        void nameChanging(String path);

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

    /** Exit of {@code RandomAccessFile.open(String, int)}: a descriptor was opened. */
    public static void rafOpened(RandomAccessFile raf, FileDescriptor fd, String name, int mode) {
        Hooks h = hooks;
        if (h != null && fd != null) {
            h.rafOpened(raf, fd, name, mode);
        }
    }

    /** Exit of the {@code FileChannelImpl} constructor. */
    public static void channelOpened(FileDescriptor fd, String path, Object parent, boolean readable,
            boolean writable) {
        Hooks h = hooks;
        if (h != null && fd != null) {
            h.channelOpened(fd, path, parent, readable, writable);
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

    /** A lock was taken on the file of {@code fd}: no descriptor of that file is suspended again. */
    public static void locked(FileDescriptor fd) {
        Hooks h = hooks;
        if (h != null && fd != null) {
            h.locked(fd);
        }
    }

    /** Whether {@code fd} is managed, open for its owner, and suspended now (for {@code valid()}). */
    public static boolean isSuspended(FileDescriptor fd) {
        Hooks h = hooks;
        return h != null && h.isSuspended(fd);
    }

    /** A name is about to be deleted or replaced (or moved): its file's descriptors must stay open. */
    public static void nameChanging(String path) {
        Hooks h = hooks;
        if (h != null && path != null) {
            h.nameChanging(path);
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

    /**
     * Replaces {@code raf.getFilePointer()} (a native method on every JDK). A suspended file
     * answers its saved offset and stays suspended.
     */
    public static long getFilePointer(RandomAccessFile raf) throws IOException {
        Hooks h = hooks;
        if (h != null && raf != null) {
            long saved = h.suspendedOffset(raf);
            if (saved >= 0) {
                return saved;
            }
        }
        Object token = enterRaf(raf);
        try {
            return raf.getFilePointer();
        } finally {
            exit(token);
        }
    }

    /** Replaces {@code raf.length()} (a native method on JDK 17). */
    public static long length(RandomAccessFile raf) throws IOException {
        Object token = enterRaf(raf);
        try {
            return raf.length();
        } finally {
            exit(token);
        }
    }

    /** Replaces {@code raf.setLength(n)} (a native method on JDK 17). */
    public static void setLength(RandomAccessFile raf, long newLength) throws IOException {
        Object token = enterRaf(raf);
        try {
            raf.setLength(newLength);
        } finally {
            exit(token);
        }
    }

    /** Replaces {@code fd.sync()} (a native method on JDK 17). */
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

    private static Object enterRaf(RandomAccessFile raf) throws IOException {
        Hooks h = hooks;
        return h == null || raf == null ? null : h.enter(raf);
    }
}
