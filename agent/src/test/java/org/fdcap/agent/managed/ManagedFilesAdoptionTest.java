package org.fdcap.agent.managed;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.RandomAccessFile;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.fdcap.agent.jdk.JdkAccess;
import org.fdcap.agent.jdk.JdkCalls;
import org.fdcap.agent.jdk.NativeCalls;
import org.fdcap.core.FsHandle;
import org.fdcap.core.OpenFlags;
import org.fdcap.core.SystemCalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.fdcap.agent.managed.InProcessAgent.openDescriptors;
import static org.fdcap.agent.managed.InProcessAgent.pattern;
import static org.fdcap.agent.managed.InProcessAgent.readFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which descriptors {@link ManagedFiles} manages, and how: room reserved before the JDK opens,
 * registration after, one handle per descriptor object, the flags a reopen repeats; and, attached
 * to a running JVM, what it adopts of the files opened before.
 */
class ManagedFilesAdoptionTest {
    @TempDir
    Path dir;

    @Test
    void aRandomAccessFileOpenedIsManagedAndTakesOneSlot() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "rw")) {
            assertEquals(1, agent.files.size());
            assertEquals(1, agent.stats().open());
            assertEquals(3, agent.tracker.room());
            assertEquals(a.toString(), agent.handleOf(raf.getFD()).path());
        }
    }

    @Test
    void aChannelFromFileChannelOpenIsManagedWithTheFlagsOfItsDescriptor() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (FileChannel ch = agent.channel(a, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            assertEquals(1, agent.files.size());
            int flags = agent.handleOf(JdkAccess.fdOfChannel(ch)).reopenFlags();
            assertEquals(OpenFlags.O_WRONLY, flags & OpenFlags.O_ACCMODE);
            assertTrue((flags & OpenFlags.O_APPEND) != 0, "O_APPEND kept");
        }
    }

    @Test
    void aChannelsFlagsComeFromItsOptionsWithoutReadingTheDescriptor() throws Throwable {
        AtomicInteger reads = new AtomicInteger();
        SystemCalls real = JdkCalls.load();
        SystemCalls counting = (SystemCalls) Proxy.newProxyInstance(SystemCalls.class.getClassLoader(),
                new Class<?>[] {SystemCalls.class}, (proxy, method, args) -> {
                    if (method.getName().equals("openFlags")) {
                        reads.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        InProcessAgent agent = InProcessAgent.withCapacity(4); // its set-up chooses the JDK's calls
        NativeCalls.use(counting);
        try {
            Path a = Files.write(dir.resolve("a"), pattern(10, 1));
            try (FileChannel ch = agent.channel(a, StandardOpenOption.APPEND, StandardOpenOption.DSYNC)) {
                assertEquals(OpenFlags.O_WRONLY | OpenFlags.O_APPEND | OpenFlags.O_DSYNC,
                        agent.handleOf(JdkAccess.fdOfChannel(ch)).reopenFlags());
            }
            try (FileChannel ch = agent.channel(a, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE, StandardOpenOption.SYNC)) {
                assertEquals(OpenFlags.O_RDWR | OpenFlags.O_SYNC, agent.handleOf(JdkAccess.fdOfChannel(ch)).reopenFlags());
            }
            assertEquals(0, reads.get(), "the descriptor's flags were read");
            // An option the rule does not cover: the flags come from the descriptor, as before.
            try (FileChannel ch = agent.channel(dir.resolve("b"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE)) {
                assertEquals(OpenFlags.O_WRONLY, agent.handleOf(JdkAccess.fdOfChannel(ch)).reopenFlags());
            }
            assertEquals(1, reads.get());
        } finally {
            NativeCalls.use(real);
        }
    }

    @Test
    void theChannelOfARandomAccessFileSharesItsHandle() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "rw")) {
            FileChannel ch = raf.getChannel();
            assertSame(agent.handleOf(raf.getFD()), agent.handleOf(JdkAccess.fdOfChannel(ch)));
            assertEquals(1, agent.files.size());
            assertEquals(1, agent.stats().open());
        }
    }

    @Test
    void theOpenModeIsWhatTheReopenRepeatsWithoutCreating() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile r = agent.raf(a, "r");
                RandomAccessFile rw = agent.raf(a, "rw");
                RandomAccessFile rws = agent.raf(a, "rws")) {
            assertEquals(OpenFlags.O_RDONLY, agent.handleOf(r.getFD()).reopenFlags());
            assertEquals(OpenFlags.O_RDWR, agent.handleOf(rw.getFD()).reopenFlags());
            assertEquals(OpenFlags.O_RDWR | OpenFlags.O_SYNC, agent.handleOf(rws.getFD()).reopenFlags());
        }
    }

    @Test
    void excludedFilesAreLeftAloneAndTakeNoRoom() throws Exception {
        InProcessAgent agent = InProcessAgent.create(4, List.of("**/skip-*"), false, false);
        Path skipped = Files.write(dir.resolve("skip-me"), pattern(10, 1));

        assertNull(agent.files.opening(skipped.toString(), false));
        try (RandomAccessFile raf = agent.raf(skipped, "rw")) {
            assertEquals(0, agent.files.size());
            assertEquals(4, agent.tracker.room());
            assertNull(agent.files.enter(raf.getFD()), "not managed: nothing to pin");
        }
    }

    @Test
    void theAgentsJarAndTheKernelsPseudoFilesAreNeverManaged() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);

        assertNull(agent.files.opening("/nowhere/fdcap-agent.jar", false));
        assertNull(agent.files.opening("/proc/self/status", false));
        assertNull(agent.files.opening("/sys/kernel/ostype", true));
        assertNull(agent.files.opening("/dev/null", false));
        assertEquals(4, agent.tracker.room());
    }

    @Test
    void aPseudoFileReachedByAnotherNameIsNotManagedAndItsSlotIsGivenBack() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path link = Files.createSymbolicLink(dir.resolve("status"), Path.of("/proc/self/status"));

        try (RandomAccessFile raf = agent.raf(link, "r")) {
            assertEquals(0, agent.files.size());
            assertEquals(4, agent.tracker.room());
            assertTrue(raf.readLine().startsWith("Name:"));
        }
    }

    @Test
    void roomIsMadeBeforeTheJdkOpensNotAfter() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));
        Path c = Files.write(dir.resolve("c"), pattern(10, 3));

        try (RandomAccessFile ra = agent.raf(a, "rw"); RandomAccessFile rb = agent.raf(b, "rw")) {
            int before = openDescriptors();
            Object slot = agent.files.opening(c.toString(), false);

            assertNotNull(slot);
            assertEquals(before - 1, openDescriptors(), "the least recently used file closed before the open");
            assertTrue(agent.files.isSuspended(ra.getFD()));
            assertEquals(-1, InProcessAgent.numberOf(ra.getFD()));
            try (RandomAccessFile rc = new RandomAccessFile(c.toFile(), "rw")) {
                agent.files.rafOpened(rc, rc.getFD(), c.toString(), InProcessAgent.RAF_READ_WRITE, slot);
                assertEquals(before, openDescriptors());
                assertEquals(2, agent.stats().open());
                assertEquals(3, agent.files.size());
            }
        }
    }

    @Test
    void readingAChannelsFlagsAtTheCapSuspendsAFileFirst() throws Exception {
        // The flags of a FileChannel.open descriptor whose options do not tell them
        // (DELETE_ON_CLOSE) are read from /proc/self/fdinfo, which takes one more descriptor for a
        // moment: at the cap, room is made for it as for an open. Options that tell them take none.
        InProcessAgent agent = InProcessAgent.withCapacity(2);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));

        try (FileChannel first = agent.channel(a); FileChannel second = agent.channel(b)) {
            assertFalse(agent.files.isSuspended(JdkAccess.fdOfChannel(first)));
            assertEquals(2, agent.stats().open());
            assertEquals(0, agent.tracker.room());
        }
        InProcessAgent another = InProcessAgent.withCapacity(2); // the channels above closed behind the first's back
        try (FileChannel first = another.channel(a);
                FileChannel second = another.channel(b, StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE)) {
            assertTrue(another.files.isSuspended(JdkAccess.fdOfChannel(first)));
            assertEquals(1, another.stats().open());
            assertEquals(1, another.tracker.room());
        }
    }

    @Test
    void anOpenThatFailsGivesItsSlotBack() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(2);

        assertThrows(FileNotFoundException.class, () -> agent.raf(dir.resolve("missing"), "r"));
        assertEquals(2, agent.tracker.room());
        agent.files.notOpened(agent.files.opening(dir.resolve("x").toString(), true));
        assertEquals(2, agent.tracker.room());
        assertEquals(0, agent.files.size());
    }

    @Test
    void aDescriptorObjectRegisteredTwiceIsManagedOnceAndTheSecondSlotGivenBack() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = agent.raf(a, "rw")) {
            FsHandle first = agent.handleOf(raf.getFD());
            agent.files.rafOpened(raf, raf.getFD(), a.toString(), InProcessAgent.RAF_READ_WRITE,
                    agent.files.opening(a.toString(), false));

            assertEquals(1, agent.files.size());
            assertEquals(3, agent.tracker.room());
            assertSame(first, agent.handleOf(raf.getFD()));
        }
    }

    @Test
    void atTheCapWithEveryDescriptorHeldForGoodAnOpenFailsAsTheOsWouldAndNothingChanges() throws Exception {
        InProcessAgent agent = InProcessAgent.create(2, List.of(), false, true);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));
        Path b = Files.write(dir.resolve("b"), pattern(10, 2));
        Path c = Files.write(dir.resolve("c"), pattern(10, 3));

        try (RandomAccessFile ra = agent.raf(a, "rw"); RandomAccessFile rb = agent.raf(b, "rw")) {
            agent.files.escaped(ra.getFD());
            agent.files.escaped(rb.getFD());
            int before = openDescriptors();

            FileNotFoundException raf = assertThrows(FileNotFoundException.class, () -> agent.raf(c, "r"));
            assertEquals(c + " (Too many open files)", raf.getMessage());
            FileSystemException channel = assertThrows(FileSystemException.class, () -> agent.channel(c));
            assertEquals("Too many open files", channel.getReason());

            assertEquals(before, openDescriptors());
            assertEquals(2, agent.files.size());
            assertEquals(0, agent.tracker.room());
            assertEquals(2, agent.stats().open());
        }
    }

    @Test
    void withoutTheAttachADescriptorObjectNeverSeenOpeningIsLeftAlone() throws Exception {
        InProcessAgent agent = InProcessAgent.withCapacity(4);
        Path a = Files.write(dir.resolve("a"), pattern(10, 1));

        try (RandomAccessFile raf = new RandomAccessFile(a.toFile(), "r")) {
            assertNull(agent.files.enter(raf.getFD()));
            assertEquals(0, agent.files.size());
        }
    }

    // ---- attached to a running JVM ----

    @Test
    void attachedARandomAccessFileOpenedBeforeIsAdoptedOnItsFirstUse() throws Exception {
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        try (RandomAccessFile raf = new RandomAccessFile(a.toFile(), "r")) {
            raf.seek(40);
            InProcessAgent agent = InProcessAgent.create(4, List.of(), true, false);

            byte[] first = agent.use(raf, () -> readFully(raf, 10));
            assertEquals(1, agent.files.size());
            assertEquals(1, agent.suspendAll());
            byte[] next = agent.use(raf, () -> readFully(raf, 10));

            assertArrayEquals(java.util.Arrays.copyOfRange(pattern(100, 1), 40, 50), first);
            assertArrayEquals(java.util.Arrays.copyOfRange(pattern(100, 1), 50, 60), next);
            assertEquals(a.toString(), agent.handleOf(raf.getFD()).path());
        }
    }

    @Test
    void attachedAChannelOpenedBeforeIsAdoptedUnderTheNameItHasNow() throws Exception {
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        Path b = dir.resolve("b");
        try (FileChannel ch = FileChannel.open(a)) {
            Files.move(a, b);
            InProcessAgent agent = InProcessAgent.create(4, List.of(), true, false);

            FsHandle h = agent.handleOf(JdkAccess.fdOfChannel(ch));
            assertNotNull(h);
            assertEquals(b.toString(), h.path());
            assertEquals(1, agent.suspendAll());
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(100);
            agent.use(ch, () -> ch.read(buf));
            assertArrayEquals(pattern(100, 1), buf.array());
        }
    }

    @Test
    void attachedAStreamOpenedBeforeIsNeverAdopted() throws Exception {
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        try (FileInputStream in = new FileInputStream(a.toFile())) {
            InProcessAgent agent = InProcessAgent.create(4, List.of(), true, false);

            assertNull(agent.files.enter(in.getFD()));
            assertNull(agent.files.enter(in.getFD()), "remembered as not managed");
            assertEquals(0, agent.suspendAll());
            assertEquals(0, agent.stats().open());
            assertEquals(100, in.readAllBytes().length);
        }
    }

    @Test
    void attachedAFileLockedBeforeIsNeverSuspended() throws Exception {
        Path a = Files.write(dir.resolve("a"), pattern(100, 1));
        try (FileChannel locker = FileChannel.open(a, StandardOpenOption.WRITE); FileLock lock = locker.lock();
                RandomAccessFile raf = new RandomAccessFile(a.toFile(), "r")) {
            InProcessAgent agent = InProcessAgent.create(4, List.of(), true, false);

            agent.use(raf, raf::read);
            assertEquals(1, agent.files.size());
            assertEquals(0, agent.suspendAll(), "closing any descriptor of the file would drop the lock");
            assertEquals(1, agent.stats().locked());
            assertTrue(lock.isValid());
        }
    }
}
