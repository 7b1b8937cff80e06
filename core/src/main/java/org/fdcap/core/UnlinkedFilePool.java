package org.fdcap.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory where files whose last name was removed while they are still open live until
 * their last handle closes, so that suspended handles can reopen them without a descriptor of
 * their own. Created on first use (mode 0700), removed when its last file goes. A file gets a
 * second name here (a hard link) before its name elsewhere is removed, so the directory must be
 * on the same filesystem as the files.
 *
 * <p>Names are {@code fdcap-<pid>-<process start time>-<n>}: a name already taken (by another
 * tracker sharing the directory) is skipped, never replaced; and the files left by a process that
 * was killed are recognised by the next tracker on the directory ({@link #removeLeftovers()}),
 * which deletes them, and nothing else. Thread-safe.
 */
final class UnlinkedFilePool {
    private static final Logger LOG = LoggerFactory.getLogger(UnlinkedFilePool.class);
    private static final Pattern NAME = Pattern.compile("fdcap-(\\d+)-(\\d+)-\\d+");
    /** This process, as it appears in pool names: pid and start time (clock ticks since boot). */
    static final String PREFIX = "fdcap-" + ProcessHandle.current().pid() + "-" + startTime("self") + "-";

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
     * Gives the file at {@code path}, which must be the file of {@code inode}, a name in the pool
     * and returns it; the caller then removes (or sees removed) the other name.
     *
     * @throws FileSystemException {@code path} now leads to another file; nothing changed
     * @throws UnsafePoolException the directory exists and is not safe to use; nothing changed
     * @throws IOException the link failed (another filesystem: EXDEV); nothing changed
     */
    synchronized String link(String path, Inode inode) throws IOException {
        if (fileCount == 0) {
            createDirectory();
        }
        boolean added = false;
        try {
            for (int attempt = 0; attempt < 1000; attempt++) {
                String name = PREFIX + nextId++;
                String target = dir.resolve(name).toString();
                try {
                    // link, never rename(2): link never replaces an existing name.
                    calls.link(path, target);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    continue;
                }
                // Checked on the new link, which names exactly what was linked.
                if (!inode.isFile(calls.statOrNull(target))) {
                    calls.unlink(target);
                    throw new FileSystemException(path, null,
                            "no longer leads to the file opened (renamed or replaced); nothing was unlinked");
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
    synchronized void remove(String name) throws IOException {
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

    /**
     * Deletes the files a process that no longer runs left in the pool (it was killed before its
     * last handles closed), and the directory if that empties it. Only names of the pool's own
     * form whose process is gone are touched; a directory that is not safe is left alone.
     *
     * @return how many files were deleted
     */
    synchronized int removeLeftovers() {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int removed = 0;
        try {
            checkSafe(dir);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    Matcher m = NAME.matcher(entry.getFileName().toString());
                    if (m.matches() && !running(m.group(1), m.group(2))) {
                        calls.unlink(entry.toString());
                        removed++;
                    }
                }
            }
            if (removed > 0) {
                LOG.info("removed {} file(s) left in the unlinked-file pool {} by processes that no longer run",
                        removed, dir);
                if (fileCount == 0) {
                    calls.rmdir(dir.toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not clean the unlinked-file pool {}: {}", dir, e.toString());
        }
        return removed;
    }

    /** Whether process {@code pid}, started at {@code start}, still runs (a reused pid started later). */
    private static boolean running(String pid, String start) {
        String now = startTime(pid);
        return now != null && now.equals(start);
    }

    /** Field 22 of {@code /proc/<pid>/stat}, the process's start time; null when it does not run. */
    static String startTime(String pid) {
        try {
            String stat = new String(Files.readAllBytes(Path.of("/proc", pid, "stat")), StandardCharsets.US_ASCII);
            // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return after[19];
        } catch (NoSuchFileException gone) {
            return null;
        } catch (IOException | RuntimeException e) {
            return "unknown";
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
        String problem = PrivateDirectory.problem(dir, 077);
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
