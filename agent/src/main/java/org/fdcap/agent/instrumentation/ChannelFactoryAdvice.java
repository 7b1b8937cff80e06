package org.fdcap.agent.instrumentation;

import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@code sun.nio.fs.UnixChannelFactory.newFileChannel(int dfd, UnixPath path,
 * ...)}, through which every {@code FileChannel.open} and {@code Files.newByteChannel} (and the
 * streams and readers of {@code Files}) opens its file: room for the descriptor is made before
 * it is opened, and the channel is registered once it exists. A path relative to a directory
 * descriptor ({@code SecureDirectoryStream}) is not managed: it could not be reopened by name.
 */
public final class ChannelFactoryAdvice {
    private ChannelFactoryAdvice() {
    }

    @Advice.OnMethodEnter
    static Object enter(@Advice.Argument(0) int dfd, @Advice.Argument(1) Object path) throws IOException {
        return dfd == -1 ? FdBridge.openingChannel(path) : null;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(@Advice.Return Object channel, @Advice.Argument(1) Object path, @Advice.Enter Object slot,
            @Advice.Thrown Throwable thrown) {
        FdBridge.channelOpened(channel, path, slot, thrown);
    }
}
