package org.fdcap.core;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * A directory where unlinked files that are still open live until their last handle closes, so
 * that suspended handles can reopen them. Created on first use (mode 0700), removed when its last
 * file goes. Files are named by a counter; a name already taken (by another process sharing the
 * directory, or a crashed run) is skipped, never replaced.
 *
 * <p>Guarded by the {@link InodeRegistry}'s lock.
 */
final class UnlinkedFilePool {
    private final Path dir;
    private final SystemCalls calls;
    private long nextId;
    private int fileCount;

    UnlinkedFilePool(Path dir, SystemCalls calls) {
        if (!dir.isAbsolute()) {
            throw new IllegalArgumentException("the unlinked-file pool must be an absolute path: " + dir);
        }
        this.dir = dir;
        this.calls = calls;
    }

    Path dir() {
        return dir;
    }

    /**
     * Moves the file at {@code path}, which must be the file of {@code inode}, into the pool and returns
     * its new name there. The file's name disappears from its directory; its data stays.
     *
     * @throws FileSystemException {@code path} now leads to another file; nothing changed
     */
    String adopt(String path, Inode inode) throws IOException {
        if (fileCount == 0) {
            createDirectory();
        }
        boolean added = false;
        try {
            for (int attempt = 0; attempt < 1000; attempt++) {
                String name = Long.toString(nextId++);
                String target = dir.resolve(name).toString();
                try {
                    // link + unlink rather than rename(2): link never replaces an existing name.
                    calls.link(path, target);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    continue;
                }
                // Checked on the new link, which names exactly what will be unlinked.
                Stat linked = calls.statOrNull(target);
                if (!inode.isFile(linked)) {
                    calls.unlink(target);
                    throw new FileSystemException(path, null,
                            "no longer leads to the file opened (renamed or replaced); nothing was unlinked");
                }
                try {
                    calls.unlink(path);
                } catch (IOException e) {
                    calls.unlink(target);
                    throw e;
                }
                fileCount++;
                added = true;
                return name;
            }
            throw new IOException("no free name in the unlinked-file pool " + dir);
        } finally {
            if (!added && fileCount == 0) {
                calls.rmdir(dir.toString());
            }
        }
    }

    /** Deletes a pool file whose last handle closed, and the pool directory when it is empty. */
    void remove(String name) throws IOException {
        try {
            calls.unlink(dir.resolve(name).toString());
        } finally {
            fileCount--;
            if (fileCount == 0) {
                // Fails harmlessly when another process still has files in a shared directory.
                calls.rmdir(dir.toString());
            }
        }
    }

    private void createDirectory() throws IOException {
        try {
            calls.mkdir(dir.toString(), 0700);
        } catch (java.nio.file.FileAlreadyExistsException exists) {
            checkSafe(dir);
        }
    }

    /**
     * An existing pool directory is used only if it is what this process would have created: a
     * real directory (a symbolic link is never followed), owned by this process's user, closed to
     * everyone else (mode 0700) — files in it are deleted files the program still reads and
     * writes, so no other user may see or replace them.
     *
     * @throws UnsafePoolException it is not
     */
    static void checkSafe(Path dir) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String problem = null;
        if (attrs.isSymbolicLink()) {
            problem = "is a symbolic link (never followed)";
        } else if (!attrs.isDirectory()) {
            problem = "exists and is not a directory";
        } else {
            int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            // /proc/self belongs to the process's effective user: no native call needed.
            int euid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (uid != euid) {
                problem = "belongs to uid " + uid + ", not to this process's user (uid " + euid + ")";
            } else if ((mode & 077) != 0) {
                problem = "is open to other users (mode " + Integer.toOctalString(mode & 0777) + ", expected 700)";
            }
        }
        if (problem != null) {
            throw new UnsafePoolException("the unlinked-file pool " + dir + " " + problem);
        }
    }

    /** The pool directory is not safe to use; see {@link #checkSafe}. */
    static final class UnsafePoolException extends IOException {
        private static final long serialVersionUID = 1L;

        UnsafePoolException(String message) {
            super(message);
        }
    }
}
