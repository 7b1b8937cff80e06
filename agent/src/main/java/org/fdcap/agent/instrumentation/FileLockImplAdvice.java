package org.fdcap.agent.instrumentation;

import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@code sun.nio.ch.FileLockImpl.invalidate()}, which both JDKs call when a
 * lock is released ({@code FileLock.release}) and when its channel is closed: the file's
 * descriptors may be suspended again once no lock is held on it.
 */
public final class FileLockImplAdvice {
    private FileLockImplAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void exit(@Advice.This Object lock) {
        FdBridge.unlocked(lock);
    }
}
