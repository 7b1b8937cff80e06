package org.fdcap.agent.jdk;


import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jnr.constants.platform.Fcntl;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.fdcap.core.FdTracker;
import org.fdcap.core.FsHandle;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.SilentPosixHandler;
import org.fdcap.core.Stat;
import org.fdcap.core.SystemCalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK's natives give the tracker the same answers as jnr-posix: identities (device, inode,
 * birth time), sizes and link counts, offsets, and the same exceptions for the same errnos. (The
 * surefire configuration opens what {@link JdkAccess#open} opens to the agent at run time.)
 */
class JdkCallsTest {
    private static final SystemCalls JDK = JdkCalls.INSTANCE;
    private static final SystemCalls JNR = SystemCalls.jnrPosix();
    private static final POSIX LIBC = POSIXFactory.getNativePOSIX(new SilentPosixHandler());

    @TempDir
    Path dir;

    @Test
    void loadsOnThisJdk() throws Throwable {
        assertEquals(JDK, JdkCalls.load());
        assertEquals(Runtime.version().feature() >= 22, JdkCalls.birthFromJdk());
    }

    @Test
    void theFileSystemCallsAreMadeByTheAgentsClassInsideJavaBase() throws Throwable {
        JdkCalls.load();
        Class<?> bridge = Class.forName("sun.nio.fs.FdcapFileSystemCalls", false, null);
        assertEquals("java.base", bridge.getModule().getName());
        assertEquals(bridge, org.fdcap.agent.bootstrap.JdkFileSystem.Registration.get().getClass());
        // Its answers are the JDK's own: the attributes of / as Files reads them.
        Stat root = JDK.statOrNull("/");
        assertEquals(Files.getAttribute(Path.of("/"), "unix:ino"), root.ino());
        assertEquals(((Number) Files.getAttribute(Path.of("/"), "unix:dev")).longValue(), root.dev());
    }

    @Test
    void fstatGivesWhatJnrGives() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1234]);
        Files.createLink(dir.resolve("second-name"), f);
        int fd = JDK.open(f.toString(), OpenFlags.O_RDONLY, 0);
        try {
            Stat jdk = JDK.fstat(fd, f.toString());
            assertEquals(JNR.fstat(fd, f.toString()), jdk);
            assertEquals(jdk, JDK.fstatOrNull(fd));
            assertEquals(jdk, JNR.fstatOrNull(fd));
            assertTrue(jdk.isRegularFile());
            assertEquals(1234, jdk.size());
            assertEquals(2, jdk.nlink());
            assertNotEquals(0, jdk.ino());
        } finally {
            JDK.close(fd, f.toString());
        }
    }

    @Test
    void statOfAPathGivesWhatJnrGivesAndNullWhenItLeadsNowhere() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[7]);
        Path link = Files.createSymbolicLink(dir.resolve("link"), f);
        assertEquals(JNR.statOrNull(f.toString()), JDK.statOrNull(f.toString()));
        assertEquals(JDK.statOrNull(f.toString()), JDK.statOrNull(link.toString()));
        assertNull(JDK.statOrNull(dir.resolve("missing").toString()));
    }

    @Test
    void oneCallsAnswerNeverLeaksIntoTheNext() throws IOException {
        // A thread reuses one attributes object for all its calls: a file with a birth time, then
        // one without (procfs records none), then one that is not there, in turn, by path and by
        // descriptor, must each give exactly what jnr gives.
        Path f = Files.write(dir.resolve("f"), new byte[42]);
        String noBirth = "/proc/self/status";
        int fd = JDK.open(f.toString(), OpenFlags.O_RDONLY, 0);
        int procFd = JDK.open(noBirth, OpenFlags.O_RDONLY, 0);
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(JNR.statOrNull(f.toString()), JDK.statOrNull(f.toString()));
                Stat proc = JDK.statOrNull(noBirth);
                assertEquals(0, proc.birth());
                assertEquals(JNR.statOrNull(noBirth).ino(), proc.ino());
                assertNull(JDK.statOrNull(dir.resolve("missing").toString()));
                assertEquals(JNR.fstat(fd, f.toString()), JDK.fstat(fd, f.toString()));
                assertEquals(0, JDK.fstat(procFd, noBirth).birth());
                assertEquals(42, JDK.fstat(fd, f.toString()).size());
            }
        } finally {
            JDK.close(procFd, noBirth);
            JDK.close(fd, f.toString());
        }
    }

    @Test
    void theBirthTimeTellsAFileFromOneThatTookItsInodeNumber() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        Stat before = JDK.statOrNull(f.toString());
        for (int i = 0; i < 20; i++) {
            Files.delete(f);
            Files.write(f, new byte[1]);
            Stat after = JDK.statOrNull(f.toString());
            assertEquals(JNR.statOrNull(f.toString()), after);
            if (after.ino() == before.ino() && after.birth() != 0) {
                assertNotEquals(before.birth(), after.birth());
                return;
            }
            before = after;
        }
    }

    @Test
    void offsetsAreTheDescriptorsOwn() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[100]);
        int fd = JDK.open(f.toString(), OpenFlags.O_RDWR, 0);
        try {
            assertEquals(0, JDK.position(fd, f.toString()));
            JDK.seek(fd, 42, f.toString());
            assertEquals(42, JDK.position(fd, f.toString()));
            assertEquals(42, JNR.position(fd, f.toString()));
            JNR.seek(fd, 5_000_000_000L, f.toString());
            assertEquals(5_000_000_000L, JDK.position(fd, f.toString()));
        } finally {
            JDK.close(fd, f.toString());
        }
    }

    @Test
    void openFailuresAreTheExceptionsJnrGives() throws IOException {
        String missing = dir.resolve("missing").toString();
        IOException jdk = assertThrows(NoSuchFileException.class, () -> JDK.open(missing, OpenFlags.O_RDONLY, 0));
        IOException jnr = assertThrows(NoSuchFileException.class, () -> JNR.open(missing, OpenFlags.O_RDONLY, 0));
        assertEquals(jnr.getMessage(), jdk.getMessage());
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL;
        jdk = assertThrows(FileAlreadyExistsException.class, () -> JDK.open(f.toString(), flags, 0600));
        jnr = assertThrows(FileAlreadyExistsException.class, () -> JNR.open(f.toString(), flags, 0600));
        assertEquals(jnr.getMessage(), jdk.getMessage());
    }

    @Test
    void theJdksErrnoBecomesTheSameExceptionAsJnrs() {
        for (int errno : new int[] {24, 23, 13}) { // EMFILE, ENFILE, EACCES
            IOException jdk = JdkCalls.failure(-errno, "/x", "open");
            IOException expected = SystemCalls.failure("/x", errno, "open");
            assertEquals(expected.getClass(), jdk.getClass());
            assertEquals(expected.getMessage(), jdk.getMessage());
        }
        assertTrue(JdkCalls.failure(-24, "/x", "open").getMessage().contains("(EMFILE)"));
        assertEquals(AccessDeniedException.class, JdkCalls.failure(-1, "/x", "open").getClass());
        assertEquals("/x: open: failed (the JDK gave no errno)",
                JdkCalls.failure(Integer.MIN_VALUE, "/x", "open").getMessage());
    }

    @Test
    void linkUnlinkMkdirAndRmdirWorkAndFailAsJnrDoes() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[3]);
        Path g = dir.resolve("g");
        JDK.link(f.toString(), g.toString());
        assertEquals(2, JDK.statOrNull(f.toString()).nlink());
        IOException jdk = assertThrows(FileAlreadyExistsException.class, () -> JDK.link(f.toString(), g.toString()));
        IOException jnr = assertThrows(FileAlreadyExistsException.class, () -> JNR.link(f.toString(), g.toString()));
        assertEquals(jnr.getMessage(), jdk.getMessage());
        JDK.unlink(g.toString());
        assertFalse(Files.exists(g));
        jdk = assertThrows(NoSuchFileException.class, () -> JDK.unlink(g.toString()));
        jnr = assertThrows(NoSuchFileException.class, () -> JNR.unlink(g.toString()));
        assertEquals(jnr.getMessage(), jdk.getMessage());
        Path d = dir.resolve("d");
        JDK.mkdir(d.toString(), 0700);
        assertEquals(0700, (Integer) Files.getAttribute(d, "unix:mode") & 0777);
        assertFalse(JDK.rmdir(dir.toString()));
        assertTrue(JDK.rmdir(d.toString()));
        assertFalse(Files.exists(d));
    }

    @Test
    void currentPathFollowsARename() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        int fd = JDK.open(f.toString(), OpenFlags.O_RDONLY, 0);
        try {
            Path moved = Files.move(f, dir.resolve("moved"));
            assertEquals(moved.toString(), JDK.currentPath(fd));
            assertEquals(JNR.currentPath(fd), JDK.currentPath(fd));
        } finally {
            JDK.close(fd, "");
        }
        assertNull(JDK.currentPath(fd));
    }

    @Test
    void openFlagsAreWhatFcntlGives() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        int[] modes = {OpenFlags.O_RDONLY, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, OpenFlags.O_RDWR | OpenFlags.O_SYNC,
            OpenFlags.O_RDWR | OpenFlags.O_DSYNC};
        for (int mode : modes) {
            int fd = JDK.open(f.toString(), mode, 0);
            try {
                int fcntl = LIBC.fcntl(fd, Fcntl.F_GETFL);
                assertEquals(fcntl, JDK.openFlags(fd), OpenFlags.describe(mode));
                assertEquals(fcntl, JNR.openFlags(fd), OpenFlags.describe(mode));
                assertEquals(mode, JDK.openFlags(fd) & (OpenFlags.O_ACCMODE | OpenFlags.O_APPEND
                        | OpenFlags.O_SYNC | OpenFlags.O_DSYNC));
            } finally {
                JDK.close(fd, f.toString());
            }
        }
        assertEquals(-1, JDK.openFlags(Integer.MAX_VALUE));
        assertEquals(-1, JNR.openFlags(Integer.MAX_VALUE));
        assertTrue(JDK.openFlagsTakeADescriptor()); // /proc/self/fdinfo/N
        assertFalse(JNR.openFlagsTakeADescriptor()); // fcntl
    }

    @Test
    void theFlagsOfARandomAccessFileFollowFromItsModeAsFcntlSees() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        String[] modes = {"r", "rw", "rws", "rwd"};
        int[] imodes = {1, 2, 2 | 4, 2 | 8}; // RandomAccessFile's private O_RDONLY, O_RDWR, O_SYNC, O_DSYNC
        int kept = OpenFlags.O_ACCMODE | OpenFlags.O_APPEND | OpenFlags.O_SYNC | OpenFlags.O_DSYNC | OpenFlags.O_DIRECT;
        for (int i = 0; i < modes.length; i++) {
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), modes[i])) {
                int fcntl = LIBC.fcntl(fdOf(raf), Fcntl.F_GETFL);
                assertEquals(fcntl & kept, NativeCalls.randomAccessFileFlags(imodes[i]) & kept, modes[i]);
            }
        }
    }

    @Test
    void aTrackerOnTheJdksCallsSuspendsAndRestoresAtTheSameOffset() throws IOException {
        Path a = Files.write(dir.resolve("a"), new byte[] {1, 2, 3, 4});
        Path b = Files.write(dir.resolve("b"), new byte[] {5, 6, 7, 8});
        FdTracker tracker = FdTracker.builder().capacity(1).systemCalls(JDK).build();
        try {
            FsHandle ha = tracker.open(a, StandardOpenOption.READ);
            ha.seek(2);
            FsHandle hb = tracker.open(b, StandardOpenOption.READ);
            assertTrue(ha.isSuspended());
            byte[] one = new byte[1];
            assertEquals(1, ha.read(one, 0, 1));
            assertEquals(3, one[0]);
            assertTrue(hb.isSuspended());
            ha.close();
            hb.close();
        } finally {
            tracker.destroy();
        }
    }

    /** The number inside the file's descriptor, through the JDK's own access object. */
    private static int fdOf(RandomAccessFile raf) throws IOException {
        try {
            Object access = Class.forName("jdk.internal.access.SharedSecrets")
                    .getMethod("getJavaIOFileDescriptorAccess").invoke(null);
            return (int) Class.forName("jdk.internal.access.JavaIOFileDescriptorAccess")
                    .getMethod("get", java.io.FileDescriptor.class).invoke(access, raf.getFD());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
