package org.fdcap.agent.cache;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.fdcap.core.PrivateDirectory;
import org.fdcap.core.ScratchFile;

/**
 * How the cache directory and what it holds are made, the same for the instrumented JDK types
 * ({@link TransformCache}) and jffi's stub ({@link JffiStub}): directories created with mode 700
 * and then checked like any existing one; files written whole under a temporary name and renamed
 * into place, so that a reader sees the old file or the new one, never a part.
 */
final class CacheFiles {
    private CacheFiles() {
    }

    /**
     * Creates {@code dir} (mode 700) when it does not exist, and says why it must not be used, or
     * null: a symbolic link, another user's, writable by others ({@link PrivateDirectory}).
     */
    static String createPrivate(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // another JVM made it; checked below like any existing one
            }
        }
        return PrivateDirectory.problem(dir, 022);
    }

    /** Replaces {@code file}, in {@code dir}, with {@code content} (a temporary file of mode 600, renamed). */
    static void replace(Path dir, Path file, byte[] content) throws IOException {
        Path tmp = ScratchFile.create(dir, ".tmp-", ".part");
        try {
            Files.write(tmp, content);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
