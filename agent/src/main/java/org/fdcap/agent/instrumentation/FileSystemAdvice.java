package org.fdcap.agent.instrumentation;

import java.io.File;
import java.nio.file.Path;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into the JDK's Unix file systems ({@code java.io.UnixFileSystem} behind
 * {@code File.delete/renameTo}, {@code sun.nio.fs.UnixFileSystemProvider} behind
 * {@code Files.delete/deleteIfExists/move/copy}): before a name that may lead to a managed file is
 * removed or replaced, every descriptor of that file is restored and kept open, so that it stays
 * on the same data exactly as without the agent (a suspended descriptor is reopened by name).
 */
public final class FileSystemAdvice {
    private FileSystemAdvice() {
    }

    /** {@code java.io.UnixFileSystem.delete(File)}. */
    public static final class IoDelete {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) File file) {
            FdBridge.nameChanging(file == null ? null : file.getPath());
        }
    }

    /** {@code java.io.UnixFileSystem.rename(File, File)}: the source moves, the target may be replaced. */
    public static final class IoRename {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) File from, @Advice.Argument(1) File to) {
            FdBridge.nameChanging(from == null ? null : from.getPath());
            FdBridge.nameChanging(to == null ? null : to.getPath());
        }
    }

    /** {@code UnixFileSystemProvider.implDelete(Path, boolean)}. */
    public static final class NioDelete {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Path path) {
            FdBridge.nameChanging(path == null ? null : path.toString());
        }
    }

    /**
     * {@code UnixFileSystemProvider.copy(Path, Path, CopyOption...)}: with REPLACE_EXISTING the
     * target is unlinked and created anew (often with the same inode number, which no identity
     * check could tell apart), so its descriptors must keep the old file open.
     */
    public static final class NioCopy {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(1) Path to) {
            FdBridge.nameChanging(to == null ? null : to.toString());
        }
    }

    /** {@code UnixFileSystemProvider.move(Path, Path, CopyOption...)}. */
    public static final class NioMove {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Path from, @Advice.Argument(1) Path to) {
            FdBridge.nameChanging(from == null ? null : from.toString());
            FdBridge.nameChanging(to == null ? null : to.toString());
        }
    }
}
