package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@code java.io.FileInputStream} and {@code java.io.FileOutputStream} (and so
 * {@code FileReader}, {@code FileWriter}, {@code PrintWriter(File)}, {@code Scanner(File)}, ...,
 * whose descriptor is a stream's): a stream opened on a path is managed like a
 * {@code RandomAccessFile}, with its own open flags (read-only; write-only, appending or not);
 * every public method that uses the descriptor restores and pins it. A stream built on a
 * {@code FileDescriptor} shares that descriptor's handle, if it has one. Both classes hold the
 * descriptor in a field {@code fd} on JDK 17 and 25; their reads and writes are private natives
 * called from public Java methods, so no call site needs rewriting.
 */
public final class StreamAdvice {
    private StreamAdvice() {
    }

    /** Private {@code FileInputStream.open(String name)}: room made before, the stream registered after. */
    public static final class OpenInput {
        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(0) String name) throws IOException {
            return FdBridge.opening(name);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.Argument(0) String name,
                @Advice.Enter Object slot, @Advice.Thrown Throwable thrown) {
            FdBridge.streamOpened(fd, name, false, false, slot, thrown);
        }
    }

    /** Private {@code FileOutputStream.open(String name, boolean append)}. */
    public static final class OpenOutput {
        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(0) String name) throws IOException {
            return FdBridge.opening(name);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.Argument(0) String name,
                @Advice.Argument(1) boolean append, @Advice.Enter Object slot, @Advice.Thrown Throwable thrown) {
            FdBridge.streamOpened(fd, name, true, append, slot, thrown);
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

    /** The constructors taking a {@code FileDescriptor}: the stream shares that descriptor. */
    public static final class Shared {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) FileDescriptor fd) {
            FdBridge.sharedWithStream(fd);
        }
    }
}
