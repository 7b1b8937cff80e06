package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/** Advice inlined into {@link FileDescriptor}. */
public final class FileDescriptorAdvice {
    private FileDescriptorAdvice() {
    }

    /**
     * {@code valid()}: whether the number is set, or the descriptor is suspended (a suspended
     * descriptor of an open file is still valid for its owner). The JDK's answer also looks at
     * {@code handle}, a Windows HANDLE that is -1 on Linux but where the agent keeps its index of
     * a managed object ({@code ManagedTable}): it is not looked at.
     */
    public static final class Valid {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This FileDescriptor self, @Advice.FieldValue("fd") int fd,
                @Advice.Return(readOnly = false) boolean valid) {
            valid = fd != -1 || FdBridge.isSuspended(self);
        }
    }

    /** {@code sync()} where it is a Java method (JDK 21+; on JDK 17 its call sites are rewritten). */
    public static final class Sync {
        @Advice.OnMethodEnter
        static Object enter(@Advice.This FileDescriptor self) throws IOException {
            return FdBridge.enter(self);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.exit(token);
        }
    }
}
