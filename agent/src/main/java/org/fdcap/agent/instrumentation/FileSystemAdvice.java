package org.fdcap.agent.instrumentation;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import net.bytebuddy.asm.Advice;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Advice inlined into the JDK's Unix file systems ({@code java.io.UnixFileSystem} behind
 * {@code File.delete/renameTo}, {@code sun.nio.fs.UnixFileSystemProvider} behind
 * {@code Files.delete/deleteIfExists/move/copy}): the tracker is told before a name that may lead
 * to a managed file is removed, replaced or moved, and after, however it went, so that the file's
 * descriptors, suspended or not, stay on the same data exactly as without the agent (a renamed
 * file is reopened by its new name; a file whose name is removed stays reachable through the
 * unlinked-file pool or an anchor descriptor). When that cannot be arranged (no room for the
 * anchor while some of the file's descriptors are suspended), the change does not happen and the
 * program sees it fail: an {@code IOException} from {@code Files}, {@code false} from {@code File}.
 */
public final class FileSystemAdvice {
    private FileSystemAdvice() {
    }

    /** {@code java.io.UnixFileSystem.delete(File)}. */
    public static final class IoDelete {
        @Advice.OnMethodEnter(skipOn = FdBridge.Refused.class, suppress = Throwable.class)
        static Object enter(@Advice.Argument(0) File file) {
            return FdBridge.beforeRemoveOrRefuse(file == null ? null : file.getPath());
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token, @Advice.Return(readOnly = false) boolean deleted) {
            if (token == FdBridge.REFUSED) {
                deleted = false;
            } else {
                FdBridge.nameChanged(token);
            }
        }
    }

    /** {@code java.io.UnixFileSystem.rename(File, File)}: the source moves, the target may be replaced. */
    public static final class IoRename {
        @Advice.OnMethodEnter(skipOn = FdBridge.Refused.class, suppress = Throwable.class)
        static Object enter(@Advice.Argument(0) File from, @Advice.Argument(1) File to) {
            return FdBridge.beforeRenameOrRefuse(from == null ? null : from.getPath(), to == null ? null : to.getPath());
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token, @Advice.Return(readOnly = false) boolean renamed) {
            if (token == FdBridge.REFUSED) {
                renamed = false;
            } else {
                FdBridge.nameChanged(token);
            }
        }
    }

    /** {@code UnixFileSystemProvider.implDelete(Path, boolean)}, behind delete and deleteIfExists. */
    public static final class NioDelete {
        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(0) Path path) throws IOException {
            return FdBridge.beforeRemove(path == null ? null : path.toString());
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.nameChanged(token);
        }
    }

    /**
     * {@code UnixFileSystemProvider.copy(Path, Path, CopyOption...)}: it opens the source and the
     * target with descriptors of its own, for which room is made under the cap for the length of
     * the copy; and with REPLACE_EXISTING the target is unlinked and created anew (often with the
     * same inode number, which only the birth time tells apart), so its managed descriptors must
     * stay on the old file.
     */
    public static final class NioCopy {
        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(1) Path to) throws IOException {
            return FdBridge.beforeCopy(to == null ? null : to.toString());
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.copied(token);
        }
    }

    /** {@code UnixFileSystemProvider.move(Path, Path, CopyOption...)}. */
    public static final class NioMove {
        @Advice.OnMethodEnter
        static Object enter(@Advice.Argument(0) Path from, @Advice.Argument(1) Path to) throws IOException {
            return FdBridge.beforeRename(from == null ? null : from.toString(), to == null ? null : to.toString());
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Enter Object token) {
            FdBridge.nameChanged(token);
        }
    }
}
