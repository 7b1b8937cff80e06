package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@link RandomAccessFile} (already loaded before premain, so retransformed).
 * Only JDK types and {@link FdBridge} may appear here: this code runs as part of java.base.
 */
public final class RandomAccessFileAdvice {
    private RandomAccessFileAdvice() {
    }

    /**
     * Private {@code open(String name, int mode)}: every constructor opens through it. Room for the
     * descriptor is made before the JDK opens it (the open fails as at the OS's limit when none
     * can be); the descriptor is registered after.
     */
    public static final class Open {
        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(0) String name) throws IOException {
            return FdBridge.opening(name);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.This RandomAccessFile self, @Advice.FieldValue("fd") FileDescriptor fd,
                @Advice.Argument(0) String name, @Advice.Argument(1) int mode, @Advice.Enter Object slot,
                @Advice.Thrown Throwable thrown) {
            FdBridge.rafOpened(self, fd, name, mode, slot, thrown);
        }
    }

    /** Every public method that uses the descriptor: restore and pin before, unpin after. */
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

    /**
     * {@code seek(long)}: on a suspended descriptor only its saved offset moves (the body, a native
     * lseek, is skipped); a program that seeks before each read then pays one reopen, not a
     * reopen and an lseek. Otherwise as {@link Use}.
     */
    public static final class Seek {
        @Advice.OnMethodEnter(skipOn = FdBridge.Sought.class)
        static Object enter(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.Argument(0) long position)
                throws IOException {
            return FdBridge.enterSeek(fd, position);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exit(token);
        }
    }

    /** {@code close()}: restored first so the JDK's close (and its channel's) runs unchanged. */
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

    /** {@code getFD()}: the descriptor object escapes to code the agent cannot see. */
    public static final class GetFd {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fd") FileDescriptor fd) {
            FdBridge.escaped(fd);
        }
    }
}
