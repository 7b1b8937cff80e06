package org.fdcap.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one check of a directory fdcap keeps its own files in (the tracker's unlinked-file pool, the
 * agent's cache of instrumented JDK types): never a symbolic link, owned by this process's
 * (effective) user, and without the mode bits that would let other users in.
 */
public final class PrivateDirectory {
    private PrivateDirectory() {
    }

    /**
     * Why {@code d} must not be used, or null.
     *
     * @param forbidden the mode bits other users must not have (077: nothing at all; 022: no writing)
     */
    public static String problem(Path d, int forbidden) throws IOException {
        BasicFileAttributes basic = Files.readAttributes(d, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (basic.isSymbolicLink()) {
            return "is a symbolic link (never followed)";
        }
        if (!basic.isDirectory()) {
            return "exists and is not a directory";
        }
        int uid = (Integer) Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        // /proc/self belongs to the process's effective user: no native call needed here.
        int self = (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
        if (uid != self) {
            return "belongs to uid " + uid + ", not to this process's user (uid " + self + ")";
        }
        int mode = (Integer) Files.getAttribute(d, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & forbidden) != 0) {
            return ((forbidden & 044) != 0 ? "is open to" : "is writable by") + " other users (mode "
                    + Integer.toOctalString(mode & 0777) + ")";
        }
        return null;
    }
}
