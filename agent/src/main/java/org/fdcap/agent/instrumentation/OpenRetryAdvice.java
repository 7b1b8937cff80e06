package org.fdcap.agent.instrumentation;

import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * On the JDK's open paths ({@code RandomAccessFile.open}, {@code FileInputStream.open},
 * {@code FileOutputStream.open}, {@code UnixChannelFactory.open} under every
 * {@code FileChannel.open}): when the OS refuses an open for lack of descriptors (EMFILE/ENFILE:
 * descriptors the agent does not manage outgrew its reserve), suspend some managed ones and run
 * the open again, instead of letting the program die of the miscount. Gives up (the exception
 * goes through) when nothing more can be suspended.
 */
public final class OpenRetryAdvice {
    private OpenRetryAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, repeatOn = Advice.OnNonDefaultValue.class)
    static boolean exit(@Advice.Thrown(readOnly = false) Throwable thrown) {
        if (thrown != null && FdBridge.outOfDescriptors(thrown)) {
            thrown = null;
            return true;
        }
        return false;
    }
}
