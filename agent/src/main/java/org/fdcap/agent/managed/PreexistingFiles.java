package org.fdcap.agent.managed;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.core.Stat;

/**
 * Attach mode: what to make of a {@link FileDescriptor} the agent never saw opening (the file was
 * opened before the agent was loaded into the running JVM). The JDK links a descriptor object to
 * its owner ({@code FileDescriptor.parent}, set by the RandomAccessFile, FileInputStream and
 * FileOutputStream constructors; {@code otherParents} when streams share it through
 * {@code getFD()}), and a RandomAccessFile keeps the path it was opened with.
 */
public final class PreexistingFiles {
    /** Who owns a descriptor object the agent may adopt, and the path to reopen it by. */
    static final class Owner {
        final String path;
        /** A RandomAccessFile (FileCleanable registered); a FileChannel.open channel relies on its Closer. */
        final boolean ownsCleanable;

        Owner(String path, boolean ownsCleanable) {
            this.path = path;
            this.ownsCleanable = ownsCleanable;
        }
    }

    private final VarHandle parent;
    private final VarHandle otherParents;
    private final VarHandle rafPath;

    /** Needs java.io opened to the agent (see {@link JdkAccess#open}). */
    PreexistingFiles() {
        try {
            MethodHandles.Lookup fd = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup());
            parent = fd.findVarHandle(FileDescriptor.class, "parent", java.io.Closeable.class);
            otherParents = fd.findVarHandle(FileDescriptor.class, "otherParents", List.class);
            rafPath = MethodHandles.privateLookupIn(RandomAccessFile.class, MethodHandles.lookup())
                    .findVarHandle(RandomAccessFile.class, "path", String.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the owners of descriptor objects", e);
        }
        // Loaded now: loading it on first use would read the agent jar, itself a file opened before.
        new Owner("", false);
    }

    /**
     * The owner of {@code fdo} when it may be adopted: a RandomAccessFile (its path), or no owner
     * at all, which is how {@code FileChannel.open} creates them (the path the descriptor leads to
     * now, from /proc/self/fd). Null for streams' descriptors, descriptors shared through
     * {@code getFD()}, and the standard streams.
     */
    Owner owner(FileDescriptor fdo) {
        if (fdo == FileDescriptor.in || fdo == FileDescriptor.out || fdo == FileDescriptor.err
                || otherParents.get(fdo) != null) {
            return null;
        }
        Object owner = parent.get(fdo);
        if (owner instanceof RandomAccessFile) {
            String path = (String) rafPath.get((RandomAccessFile) owner);
            return path == null ? null : new Owner(path, true);
        }
        if (owner != null) {
            return null;
        }
        int fd = JdkAccess.get(fdo);
        if (fd <= 2) {
            return null;
        }
        try {
            return new Owner(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString(), false);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The files (as {@code dev:ino}, dev as {@code stat} reports it) on which this process held
     * POSIX or flock locks when the agent was attached, from /proc/locks: closing any descriptor
     * of such a file would drop the lock, so none of them is ever suspended.
     */
    Set<String> lockedByThisProcess() {
        try {
            return lockedBy(Files.readAllLines(Path.of("/proc/locks")), ProcessHandle.current().pid());
        } catch (IOException | RuntimeException e) {
            return new HashSet<>();
        }
    }

    /** The {@code dev:ino} of the files locked by process {@code pid}, from the lines of /proc/locks. */
    static Set<String> lockedBy(List<String> lines, long processId) {
        Set<String> out = new HashSet<>();
        String pid = Long.toString(processId);
        // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 0 EOF" ("-> " prefixes blocked waiters)
        for (String line : lines) {
            String[] f = line.replace("->", "").trim().split("\\s+");
            if (f.length < 6 || !f[4].equals(pid)) {
                continue;
            }
            String[] id = f[5].split(":");
            if (id.length != 3) {
                continue;
            }
            try {
                long major = Long.parseLong(id[0], 16);
                long minor = Long.parseLong(id[1], 16);
                out.add(Stat.makedev(major, minor) + ":" + Long.parseLong(id[2]));
            } catch (NumberFormatException e) {
                // not a line we understand
            }
        }
        return out;
    }
}
