package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/** Advice inlined into {@link FileDescriptor}. */
public final class FileDescriptorAdvice {
    private FileDescriptorAdvice() {
    }

    /** {@code valid()}: a suspended descriptor of an open file is still valid for its owner. */
    public static final class Valid {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This FileDescriptor self, @Advice.Return(readOnly = false) boolean valid) {
            if (!valid) {
                valid = FdBridge.isSuspended(self);
            }
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
