package org.fdcap.agent.instrumentation;

import java.io.FileDescriptor;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * {@code new FileInputStream(FileDescriptor)} and {@code new FileOutputStream(FileDescriptor)}
 * (and the readers and writers built on them): the stream's reads and writes are native and use
 * the descriptor as it is, so a managed descriptor shared this way is pinned for good.
 */
public final class StreamAdvice {
    private StreamAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void exit(@Advice.Argument(0) FileDescriptor fd) {
        FdBridge.sharedWithStream(fd);
    }
}
