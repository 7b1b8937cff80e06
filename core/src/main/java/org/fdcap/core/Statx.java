package org.fdcap.core;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code statx(2)}, for the one thing {@code stat} cannot tell: a file's birth time. Filesystems
 * give a deleted file's inode number to the next file created (ext4 does so at once), so device
 * and inode alone cannot tell a file from its replacement once no descriptor holds it open — the
 * situation of a suspended handle. The birth time can. Used by both {@link SystemCalls}
 * implementations: jnr-posix's ({@link SystemCalls#jnrPosix}), which does not bind statx, and the
 * agent's over the JDK's natives, which give no birth time before JDK 22.
 *
 * <p>Through jffi, the native-call layer under jnr-ffi, called directly: jnr-ffi would bind it
 * from an annotated interface, generating an invoker with ASM; jffi alone loads half the classes
 * (about 540 rather than 960 for a first call), generates nothing, and calls with plain
 * {@code long} arguments: its set-up takes about half the time of jnr-ffi's (the agent's start
 * waits for it on JDK 17), and each call costs 150 ns less.
 *
 * <p>The path and the result go through one direct buffer per thread (the JDK frees it with the
 * thread's {@code ThreadLocal} entry); a path longer than its room gets a buffer of its own.
 *
 * <p>{@link #available()} is false where the C library has no {@code statx} (glibc before 2.28)
 * or the kernel refuses it (before 4.11, or a seccomp filter that says EPERM): it is probed once,
 * at class initialization, and the answer never changes, so all identities come from one source.
 * Callers then use {@code stat}/{@code fstat}, and the birth time reads as 0 (as it does where the
 * filesystem does not record it): identity falls back to device and inode.
 */
public final class Statx {
    private static final int AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;
    /** Room for a path of up to PATH_MAX bytes with its NUL, after the struct. */
    private static final int PATH_ROOM = 4096;

    private static final long FUNCTION;
    private static final CallContext CONTEXT;
    private static final Invoker INVOKER;
    private static final MemoryIO MEMORY;
    private static final boolean AVAILABLE;
    /** A class, not a lambda: a lambda is a class spun at the first statx, on the start's path. */
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<Scratch>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch(PATH_ROOM);
        }
    };

    static {
        long function = 0;
        CallContext context = null;
        Invoker invoker = null;
        MemoryIO memory = null;
        boolean available = false;
        try {
            function = Library.getDefault().getSymbolAddress("statx");
            if (function != 0) {
                context = CallContext.getCallContext(Type.SINT,
                        new Type[] {Type.SINT, Type.POINTER, Type.SINT, Type.UINT, Type.POINTER},
                        CallingConvention.DEFAULT, true);
                invoker = Invoker.getInstance();
                memory = MemoryIO.getInstance();
                available = true;
            }
        } catch (LinkageError | RuntimeException noJffi) {
            available = false;
        }
        FUNCTION = function;
        CONTEXT = context;
        INVOKER = invoker;
        MEMORY = memory;
        AVAILABLE = available && probe();
    }

    private Statx() {
    }

    /** Whether {@code statx} can be called here (else identities have no birth time). */
    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * {@code statx} of an open descriptor. Only when {@link #available()}.
     *
     * @param path the file, for the message of a failure
     * @throws IOException {@link SystemCalls#failure} of the errno (EBADF for a closed descriptor)
     */
    public static Stat ofDescriptor(int fd, String path) throws IOException {
        Scratch s = SCRATCH.get();
        s.buffer.put(Stat.STATX_SIZE, (byte) 0);
        int rc = call(fd, s.pathAddress, AT_EMPTY_PATH, s.address);
        if (rc < 0) {
            throw SystemCalls.failure(path, LastError.getInstance().get(), "statx");
        }
        return Stat.ofStatx(s.buffer);
    }

    /** {@code statx} of an open descriptor; null when it fails (EBADF). Only when {@link #available()}. */
    public static Stat ofDescriptorOrNull(int fd) {
        Scratch s = SCRATCH.get();
        s.buffer.put(Stat.STATX_SIZE, (byte) 0);
        return call(fd, s.pathAddress, AT_EMPTY_PATH, s.address) < 0 ? null : Stat.ofStatx(s.buffer);
    }

    /**
     * {@code statx} of a path (encoded, without its NUL), following symbolic links; null when it
     * fails (the path leads nowhere). Only when {@link #available()}.
     */
    public static Stat ofPathOrNull(byte[] path) {
        Scratch s = SCRATCH.get();
        if (path.length >= PATH_ROOM) {
            s = new Scratch(path.length + 1);
        }
        s.buffer.put(Stat.STATX_SIZE, path);
        s.buffer.put(Stat.STATX_SIZE + path.length, (byte) 0);
        return call(AT_FDCWD, s.pathAddress, 0, s.address) < 0 ? null : Stat.ofStatx(s.buffer);
    }

    private static int call(int dirfd, long path, int flags, long buffer) {
        return (int) INVOKER.invokeN5(CONTEXT, FUNCTION, dirfd, path, flags, Stat.STATX_MASK, buffer);
    }

    /**
     * A first call, on the root directory: false when it fails (no statx in the kernel, or a
     * sandbox that refuses it); identities then come from the JDK's stat, without birth times.
     */
    private static boolean probe() {
        if (MEMORY == null) {
            return false;
        }
        try {
            return ofPathOrNull(new byte[] {'/'}) != null;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }

    /** A thread's direct buffer: the struct statx, then the path. */
    private static final class Scratch {
        final ByteBuffer buffer;
        final long address;
        final long pathAddress;

        Scratch(int pathRoom) {
            buffer = ByteBuffer.allocateDirect(Stat.STATX_SIZE + pathRoom).order(ByteOrder.nativeOrder());
            address = MEMORY.getDirectBufferAddress(buffer);
            pathAddress = address + Stat.STATX_SIZE;
        }
    }
}
