package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@code sun.nio.ch.FileChannelImpl}, which backs {@code FileChannel.open},
 * {@code Files.newByteChannel/newInputStream/newOutputStream/...} and
 * {@code RandomAccessFile.getChannel()} (sharing the file's {@code FileDescriptor}). Channels are
 * registered where they are opened ({@link ChannelFactoryAdvice}).
 */
public final class FileChannelImplAdvice {
    private FileChannelImplAdvice() {
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
     * process holds on it, so no descriptor of the file is suspended from the attempt until the
     * lock is released ({@link FileLockImplAdvice}), or until the attempt fails. Restored and
     * pinned first: the file is identified by the descriptor's number, which only a pin keeps from
     * being closed and given to another file by another thread meanwhile.
     */
    public static final class Lock {
        @Advice.OnMethodEnter
        static Object[] enter(@Advice.FieldValue("fd") FileDescriptor fd) throws IOException {
            return FdBridge.enterLock(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object[] tokens, @Advice.Return Object lock) {
            FdBridge.exitLock(tokens, lock);
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
