package org.fdcap.agent.instrumentation;

import java.io.IOException;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into {@code sun.nio.fs.UnixChannelFactory.newFileChannel(int dfd, UnixPath path,
 * ...)}, through which every {@code FileChannel.open} and {@code Files.newByteChannel} (and the
 * streams and readers of {@code Files}) opens its file: room for the descriptor is made before
 * it is opened ({@link Enter}), and the channel is registered once it exists, with the open
 * options it was given (from which its open flags follow, as for a {@code RandomAccessFile}'s
 * mode). A path relative to a directory descriptor ({@code SecureDirectoryStream}) is not managed:
 * it could not be reopened by name.
 *
 * <p>Where the options are depends on the JDK: the exit {@link OptionsThird} or
 * {@link OptionsFourth} takes them from there; {@link NoOptions}, for a signature neither knows,
 * passes none and the agent reads the flags from the descriptor instead.
 */
public final class ChannelFactoryAdvice {
    private ChannelFactoryAdvice() {
    }

    /** Before the open, whatever the signature: room for the descriptor. */
    public static final class Enter {
        private Enter() {
        }

        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(0) int dfd, @Advice.Argument(1) Object path) throws IOException {
            return dfd == -1 ? FdBridge.openingChannel(path) : null;
        }
    }

    /** JDK 22+: {@code newFileChannel(int dfd, UnixPath path, Set<? extends OpenOption> options, int mode)}. */
    public static final class OptionsThird {
        private OptionsThird() {
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Return Object channel, @Advice.Argument(1) Object path,
                @Advice.Argument(2) Object options, @Advice.Enter Object slot, @Advice.Thrown Throwable thrown) {
            FdBridge.channelOpened(channel, path, options, slot, thrown);
        }
    }

    /**
     * JDK 17-21: {@code newFileChannel(int dfd, UnixPath path, String pathForPermissionCheck,
     * Set<? extends OpenOption> options, int mode)}.
     */
    public static final class OptionsFourth {
        private OptionsFourth() {
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Return Object channel, @Advice.Argument(1) Object path,
                @Advice.Argument(3) Object options, @Advice.Enter Object slot, @Advice.Thrown Throwable thrown) {
            FdBridge.channelOpened(channel, path, options, slot, thrown);
        }
    }

    /** Any other {@code newFileChannel(int dfd, UnixPath path, ...)}: the flags are read from the descriptor. */
    public static final class NoOptions {
        private NoOptions() {
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Return Object channel, @Advice.Argument(1) Object path, @Advice.Enter Object slot,
                @Advice.Thrown Throwable thrown) {
            FdBridge.channelOpened(channel, path, null, slot, thrown);
        }
    }
}
