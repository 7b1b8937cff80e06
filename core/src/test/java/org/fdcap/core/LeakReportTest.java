package org.fdcap.core;

import static org.fdcap.core.Descriptors.assertDirectoryEmpty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FdTracker#destroy()} reports what is still tracked: handles (with their state and pins)
 * and unsuspendable descriptors (with their names), and where each was opened when leak tracing is
 * on. Nothing is closed by destroy; the test closes everything afterwards.
 */
class LeakReportTest {
    private static final int STDOUT = 1;

    @TempDir
    Path dir;

    @BeforeAll
    static void warmUp() throws IOException {
        Descriptors.warmUp();
    }

    private static boolean openedIn(Throwable openedAt, String method) {
        return Arrays.stream(openedAt.getStackTrace())
                .anyMatch(e -> e.getClassName().equals(LeakReportTest.class.getName()) && e.getMethodName().equals(method));
    }

    @Test
    void destroyReportsHandlesAndUnsuspendablesWithWhereTheyWereOpened() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).leakTracing(true).build();
        FsHandle a = tracker.open(dir.resolve("a"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        FsHandle b = tracker.open(dir.resolve("b"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {STDOUT});
        assertTrue(a.isSuspended());
        b.acquire();

        LeakReport report = tracker.destroy();

        assertEquals(2, report.handles().size());
        LeakReport.LeakedHandle leakedA = report.handles().get(0);
        LeakReport.LeakedHandle leakedB = report.handles().get(1);
        assertEquals(dir.resolve("a").toString(), leakedA.path());
        assertEquals("suspended", leakedA.state());
        assertEquals(0, leakedA.pins());
        assertEquals(dir.resolve("b").toString(), leakedB.path());
        assertEquals("open", leakedB.state());
        assertEquals(1, leakedB.pins());
        String method = "destroyReportsHandlesAndUnsuspendablesWithWhereTheyWereOpened";
        assertTrue(openedIn(leakedA.openedAt(), method));
        assertTrue(openedIn(leakedB.openedAt(), method));

        assertEquals(1, report.unsuspendables().size());
        LeakReport.LeakedFd fd = report.unsuspendables().get(0);
        assertEquals(STDOUT, fd.fd());
        assertEquals("stdout", fd.name());
        assertNotNull(fd.openedAt());
        assertTrue(openedIn(fd.openedAt(), method));

        assertFalse(report.isEmpty());
        String text = report.toString();
        assertTrue(text.startsWith("2 handle(s) and 1 unsuspendable descriptor(s) still tracked"), text);
        assertTrue(text.contains(dir.resolve("a") + " [suspended]"), text);
        assertTrue(text.contains(dir.resolve("b") + " [open, pinned 1]"), text);
        assertTrue(text.contains("stdout [unsuspendable, fd 1]"), text);
        assertTrue(text.contains(LeakReportTest.class.getName() + "." + method), text);

        b.release();
        a.close();
        b.close();
        tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> { });
        assertTrue(tracker.destroy().isEmpty(), "the handles closed after destroy are no longer reported");
        Files.delete(dir.resolve("a"));
        Files.delete(dir.resolve("b"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void leakReportHasNoStacksWhenLeakTracingIsOff() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(2).build();
        FsHandle a = tracker.open(dir.resolve("a"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {STDOUT});

        LeakReport report = tracker.destroy();

        assertEquals(1, report.handles().size());
        assertNull(report.handles().get(0).openedAt());
        assertEquals(1, report.unsuspendables().size());
        assertNull(report.unsuspendables().get(0).openedAt());
        assertEquals("1 handle(s) and 1 unsuspendable descriptor(s) still tracked\n  " + dir.resolve("a")
                + " [open]\n  stdout [unsuspendable, fd 1]", report.toString());

        a.close();
        tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> { });
        Files.delete(dir.resolve("a"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void destroyReportsNothingWhenEverythingWasClosed() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(1).leakTracing(true).build();
        FsHandle a = tracker.open(dir.resolve("a"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        FsHandle b = tracker.open(dir.resolve("b"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        int[] fds = tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {STDOUT});
        a.close();
        b.close();
        tracker.closeUnsuspendable(fds, closed -> { });

        LeakReport report = tracker.destroy();

        assertTrue(report.isEmpty());
        assertEquals(List.of(), report.handles());
        assertEquals(List.of(), report.unsuspendables());
        assertEquals("no leaks", report.toString());
        Files.delete(dir.resolve("a"));
        Files.delete(dir.resolve("b"));
        assertDirectoryEmpty(dir);
    }

    @Test
    void describeListsOpenHandlesLeastRecentlyUsedFirstThenTheOthersThenUnsuspendables() throws IOException {
        FdTracker tracker = FdTracker.builder().capacity(3).build();
        FsHandle a = tracker.open(dir.resolve("a"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        FsHandle b = tracker.open(dir.resolve("b"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        FsHandle c = tracker.open(dir.resolve("c"), OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
        tracker.openUnsuspendable(List.of("stdout"), n -> new int[] {STDOUT});
        c.acquire();

        String expected = "fd tracker: " + tracker.stats()
                + "\n  open handles (least recently used first):"
                + "\n    " + dir.resolve("b") + " [open]"
                + "\n    " + dir.resolve("c") + " [open, pinned]"
                + "\n  other handles:"
                + "\n    " + dir.resolve("a") + " [suspended]"
                + "\n  unsuspendable descriptors:"
                + "\n    stdout [fd 1]";
        assertEquals(expected, tracker.describe());
        tracker.log();

        c.release();
        for (FsHandle h : new FsHandle[] {a, b, c}) {
            h.close();
        }
        tracker.closeUnsuspendable(new int[] {STDOUT}, fds -> { });
        assertTrue(tracker.destroy().isEmpty());
        for (String name : new String[] {"a", "b", "c"}) {
            Files.delete(dir.resolve(name));
        }
        assertDirectoryEmpty(dir);
    }
}
