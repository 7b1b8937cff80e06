package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@code sun.nio.ch.FileChannelImpl}, which backs {@code FileChannel.open},
 * {@code Files.newByteChannel/newInputStream/newOutputStream/...} and
 * {@code RandomAccessFile.getChannel()} (sharing the file's {@code FileDescriptor}).
 */
public final class FileChannelImplAdvice {
    private FileChannelImplAdvice() {
    }

    /** The constructor (JDK 17: 6 parameters, JDK 25: 7): a channel exists. */
    public static final class Open {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.FieldValue("path") String path,
                @Advice.FieldValue("parent") Object parent, @Advice.FieldValue("readable") boolean readable,
                @Advice.FieldValue("writable") boolean writable) {
            FdBridge.channelOpened(fd, path, parent, readable, writable);
        }
    }

    /** Every public method that uses the descriptor. */
    public static final class Use {
        @Advice.OnMethodEnter
        static Object enter(@Advice.FieldValue("fd") FileDescriptor fd) throws IOException {
            return FdBridge.enter(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exit(token);
        }
    }

    /** {@code transferTo(position, count, target)}: the target channel's descriptor is used directly. */
    public static final class TransferTo {
        @Advice.OnMethodEnter
        static Object enter(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.Argument(2) Object target)
                throws IOException {
            return FdBridge.enterWithChannel(fd, target);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exit(token);
        }
    }

    /** {@code transferFrom(src, position, count)}: the source channel's descriptor is used directly. */
    public static final class TransferFrom {
        @Advice.OnMethodEnter
        static Object enter(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.Argument(0) Object src)
                throws IOException {
            return FdBridge.enterWithChannel(fd, src);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exit(token);
        }
    }

    /**
     * {@code lock}/{@code tryLock}: closing any descriptor of a file drops every POSIX lock the
     * process holds on it, so from the first attempt no descriptor of that file is suspended.
     * Restored and pinned first: the file is identified by the descriptor's number, which only a
     * pin keeps from being closed and given to another file by another thread meanwhile.
     */
    public static final class Lock {
        @Advice.OnMethodEnter
        static Object enter(@Advice.FieldValue("fd") FileDescriptor fd) throws IOException {
            Object token = FdBridge.enter(fd);
            try {
                FdBridge.locked(fd);
            } catch (RuntimeException | Error e) {
                FdBridge.exit(token);
                throw e;
            }
            return token;
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exit(token);
        }
    }

    /** {@code implCloseChannel()}: also reached when an interrupt closes the channel. */
    public static final class Close {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static Object enter(@Advice.FieldValue("fd") FileDescriptor fd) {
            return FdBridge.enterClose(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exitClose(token);
        }
    }
}
