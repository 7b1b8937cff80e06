package org.fdcap.agent.jdk;


import com.sun.nio.file.ExtendedOpenOption;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.SystemCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the agent learns of a descriptor before managing it ({@link NativeCalls}) is the same over
 * both system-call implementations, the JDK's natives and jnr-posix, and is what the JDK itself
 * reports: the flags a reopen must repeat, the device and inode, whether it is a regular file.
 * (The surefire configuration opens what {@link JdkAccess#open} opens to the agent at run time.)
 */
class NativeCallsTest {
    private static final List<SystemCalls> BOTH = List.of(JdkCalls.INSTANCE, SystemCalls.jnrPosix());

    @TempDir
    Path dir;

    @AfterEach
    void forgetTheChoice() {
        NativeCalls.use(null);
    }

    @Test
    void theFlagsAReopenKeepsAreReadFromTheDescriptor() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        assertFlags(OpenFlags.O_RDONLY, f, "r");
        assertFlags(OpenFlags.O_RDWR, f, "rw");
        assertFlags(OpenFlags.O_RDWR | OpenFlags.O_SYNC, f, "rws");
        assertFlags(OpenFlags.O_RDWR | OpenFlags.O_DSYNC, f, "rwd");
        try (FileOutputStream out = new FileOutputStream(f.toFile(), true)) {
            int fd = fdOf(out.getFD());
            assertEquals(List.of(OpenFlags.O_WRONLY | OpenFlags.O_APPEND, OpenFlags.O_WRONLY | OpenFlags.O_APPEND),
                    overBoth(calls -> NativeCalls.inspect(fd, -1).flags));
        }
    }

    @Test
    void flagsGivenByTheCallerAreKeptWithoutAskingTheDescriptor() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rws")) {
            int fd = fdOf(raf.getFD());
            int given = NativeCalls.randomAccessFileFlags(2 | 4); // "rws": O_RDWR | O_CREAT | O_SYNC
            assertEquals(List.of(OpenFlags.O_RDWR | OpenFlags.O_SYNC, OpenFlags.O_RDWR | OpenFlags.O_SYNC),
                    overBoth(calls -> NativeCalls.inspect(fd, given).flags));
        }
    }

    /**
     * Every set of the ten options the JDK's channel factory knows on Linux (but DIRECT): where
     * the JDK opens the file, the flags derived from the options are the ones the descriptor has;
     * where it refuses the set, so does the derivation.
     */
    @Test
    void theFlagsOfAChannelFollowFromItsOptionsAsTheDescriptorHasThem() throws IOException {
        List<OpenOption> known = List.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.CREATE, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.SYNC, StandardOpenOption.DSYNC, StandardOpenOption.SPARSE,
                LinkOption.NOFOLLOW_LINKS);
        NativeCalls.use(JdkCalls.INSTANCE);
        int opened = 0;
        for (int mask = 0; mask < 1 << known.size(); mask++) {
            Set<OpenOption> options = new HashSet<>();
            for (int i = 0; i < known.size(); i++) {
                if ((mask & 1 << i) != 0) {
                    options.add(known.get(i));
                }
            }
            Path f = dir.resolve("f" + mask);
            boolean writes = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
            if (!(writes && options.contains(StandardOpenOption.CREATE_NEW))) {
                Files.write(f, new byte[1]); // CREATE_NEW applies only when writing, as CREATE does
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(f, options);
            } catch (IllegalArgumentException refused) {
                assertEquals(-1, NativeCalls.channelFlags(options), options + ": refused by the JDK");
                continue;
            }
            try (ch) {
                int fd = fdOf(channelFd(ch));
                int derived = NativeCalls.channelFlags(options);
                assertTrue(derived >= 0, options.toString());
                assertEquals(OpenFlags.describe(NativeCalls.inspect(fd, -1).flags),
                        OpenFlags.describe(NativeCalls.inspect(fd, derived).flags), options.toString());
                opened++;
            }
        }
        // The JDK refuses READ with APPEND (256 sets) and APPEND with TRUNCATE_EXISTING (256, 128 of
        // them counted already): 1,024 - 384.
        assertEquals(640, opened);
    }

    @Test
    void optionsTheRuleDoesNotCoverLeaveTheFlagsToTheDescriptor() {
        assertEquals(-1, NativeCalls.channelFlags(null));
        assertEquals(-1, NativeCalls.channelFlags(List.of(StandardOpenOption.READ)));
        assertEquals(-1, NativeCalls.channelFlags(Set.of(StandardOpenOption.READ, ExtendedOpenOption.DIRECT)));
        assertEquals(-1, NativeCalls.channelFlags(Set.of(StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE)));
        OpenOption other = new OpenOption() {
            @Override
            public String toString() {
                return "another file system's option";
            }
        };
        assertEquals(-1, NativeCalls.channelFlags(Set.of(StandardOpenOption.READ, other)));
        assertEquals(OpenFlags.O_RDONLY, NativeCalls.channelFlags(Set.of()));
    }

    @Test
    void onlyTheJdksCallsTakeADescriptorToReadTheFlags() {
        assertEquals(List.of(true, false), overBoth(calls -> NativeCalls.flagsTakeADescriptor(-1)));
        assertEquals(List.of(false, false), overBoth(calls -> NativeCalls.flagsTakeADescriptor(OpenFlags.O_RDONLY)));
    }

    @Test
    void theIdentityIsTheDeviceAndInodeTheJdkReports() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        long[] expected = {(Long) Files.getAttribute(f, "unix:dev"), (Long) Files.getAttribute(f, "unix:ino")};
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            int fd = fdOf(raf.getFD());
            for (SystemCalls calls : BOTH) {
                NativeCalls.use(calls);
                String which = calls.getClass().getSimpleName();
                assertArrayEquals(expected, NativeCalls.identity(fd), which);
                assertArrayEquals(expected, NativeCalls.identity(f.toString()), which);
                NativeCalls.FdInfo info = NativeCalls.inspect(fd, -1);
                assertArrayEquals(expected, new long[] {info.dev, info.ino}, which);
                assertTrue(info.regular, which);
            }
        }
    }

    @Test
    void aDirectoryOrADeviceIsNotARegularFile() throws IOException {
        for (SystemCalls calls : BOTH) {
            NativeCalls.use(calls);
            String which = calls.getClass().getSimpleName();
            int fd = calls.open(dir.toString(), OpenFlags.O_RDONLY, 0);
            try {
                NativeCalls.FdInfo info = NativeCalls.inspect(fd, -1);
                assertNotNull(info, which);
                assertFalse(info.regular, which);
                assertEquals(Files.getAttribute(dir, "unix:ino"), info.ino, which);
            } finally {
                calls.close(fd, dir.toString());
            }
            try (FileOutputStream devNull = new FileOutputStream("/dev/null")) {
                assertFalse(NativeCalls.inspect(fdOf(devNull.getFD()), -1).regular, which);
            }
        }
    }

    @Test
    void aClosedDescriptorOrAMissingPathHasNothingToInspect() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1]);
        int closed;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            closed = fdOf(raf.getFD());
        }
        for (SystemCalls calls : BOTH) {
            NativeCalls.use(calls);
            String which = calls.getClass().getSimpleName();
            assertNull(NativeCalls.inspect(closed, -1), which);
            assertNull(NativeCalls.inspect(closed, OpenFlags.O_RDONLY), which);
            assertNull(NativeCalls.identity(closed), which);
            assertNull(NativeCalls.identity(-1), which);
            assertNull(NativeCalls.identity(dir.resolve("missing").toString()), which);
        }
    }

    /** {@code inspect} of a file opened by {@code RandomAccessFile} in {@code mode}, over both: {@code expected} from each. */
    private static void assertFlags(int expected, Path f, String mode) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), mode)) {
            int fd = fdOf(raf.getFD());
            assertEquals(List.of(expected, expected), overBoth(calls -> NativeCalls.inspect(fd, -1).flags), mode);
        }
    }

    /** {@code question} asked through the JDK's calls, then through jnr-posix's. */
    private static <T> List<T> overBoth(Function<SystemCalls, T> question) {
        return BOTH.stream().map(calls -> {
            NativeCalls.use(calls);
            return question.apply(calls);
        }).toList();
    }

    /** The {@code FileDescriptor} of a {@code FileChannelImpl} (its private field {@code fd}). */
    private static FileDescriptor channelFd(FileChannel ch) {
        try {
            Field fd = ch.getClass().getDeclaredField("fd");
            fd.setAccessible(true);
            return (FileDescriptor) fd.get(ch);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The number inside a {@code FileDescriptor}, through the JDK's own access object. */
    private static int fdOf(FileDescriptor fdo) {
        try {
            Object access = Class.forName("jdk.internal.access.SharedSecrets")
                    .getMethod("getJavaIOFileDescriptorAccess").invoke(null);
            return (int) Class.forName("jdk.internal.access.JavaIOFileDescriptorAccess")
                    .getMethod("get", FileDescriptor.class).invoke(access, fdo);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
