package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.fdcap.examples.ManyFilesDemo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every setting with hostile values: one clear line on stderr naming the setting, and the program
 * runs exactly as without the agent. Includes pool directories that must never be used (a
 * symbolic link, another user's, one open to everyone) and a log file the agent cannot write.
 */
class HostileInputIT {
    private static ChildJvm.Result plain;

    @BeforeAll
    static void runWithoutTheAgent() throws Exception {
        plain = ChildJvm.of(ManyFilesDemo.class, "50").limit(256).run();
        assertEquals(0, plain.exit, plain::toString);
    }

    @Test
    void badNumbersWordsAndUnknownKeysAreOneLineEachAndTheProgramRunsWithoutTheAgent() throws Exception {
        List<String> failures = new ArrayList<>();
        String[][] cases = {
            {"-Dfdcap.max=-1", "fdcap.max=-1"}, {"-Dfdcap.max=0", "fdcap.max=0"},
            {"-Dfdcap.max=99999999999", "fdcap.max=99999999999"}, {"-Dfdcap.max=ten", "fdcap.max=ten"},
            {"-Dfdcap.max=", "fdcap.max="}, {"-Dfdcap.reserve=-5", "fdcap.reserve=-5"},
            {"-Dfdcap.reserve=100000", "fdcap.reserve=100000"}, {"-Dfdcap.maximum=64", "fdcap.maximum=64"},
            {"-Dfdcap.log.level=", "fdcap.log.level="}, {"-Dfdcap.stats=sometimes", "fdcap.stats=sometimes"},
            {"-Dfdcap.enabled=maybe", "fdcap.enabled=maybe"},
            {"-Dfdcap.getfd=never", "fdcap.getfd=never"}, {"-Dfdcap.include=[", "fdcap.include=["},
            {"-Dfdcap.log.file=/no/such/dir/fdcap.log", "fdcap.log.file=/no/such/dir/fdcap.log"},
            {"arg:maxx=5", "maxx=5"}, {"arg:max", "'max'"},
        };
        for (String[] c : cases) {
            ChildJvm child = ChildJvm.of(ManyFilesDemo.class, "50").limit(256);
            if (c[0].startsWith("arg:")) {
                child.withAgent(c[0].substring(4));
            } else {
                child.jvmArg(c[0]).withAgent();
            }
            String problem = check(child.run(), c[1]);
            if (problem != null) {
                failures.add(c[0] + ": " + problem);
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void aPoolDirectoryThatIsASymbolicLinkOpenToAllOrAnotherUsersIsRefused() throws Exception {
        Path dir = FaultsIT.fresh("hostile-pools");
        Path target = Files.createDirectory(dir.resolve("target"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setAttribute(open, "unix:mode", 01777);
        Path others = Files.createDirectory(dir.resolve("others"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(others, "unix:uid", 65534);

        for (Path pool : List.of(link, open, others)) {
            ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").limit(256)
                    .jvmArg("-Dfdcap.unlinked.dir=" + pool).withAgent().run();
            String problem = check(r, "fdcap.unlinked.dir=" + pool);
            assertEquals(null, problem, pool + ": " + problem);
        }
        assertTrue(Files.isSymbolicLink(link) && Files.isDirectory(open) && Files.isDirectory(others));
    }

    @Test
    void aLogFileTheUserCannotWriteIsRefused() throws Exception {
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").asNobody().limit(256)
                .jvmArg("-Dfdcap.log.file=/root/fdcap.log").withAgent().run();

        assertEquals(null, check(r, "fdcap.log.file=/root/fdcap.log"), r::toString);
    }

    @Test
    void aLogFileThatCannotBeCreatedAtStartCostsOneLineAndTheAgentStillWorks() throws Exception {
        // /proc passes the start-up check for root (access(2) says writable) but refuses creation.
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "300").limit(256)
                .jvmArg("-Dfdcap.log.file=/proc/fdcap.log").withAgent("max=200").run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(plain(300), r.out, "the agent wrote on the program's output");
        assertEquals("fdcap: cannot write the log file fdcap.log.file=/proc/fdcap.log (/proc/fdcap.log (No such file"
                + " or directory)); logging to stderr instead", r.errWithoutStats().strip(), r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
    }

    private static String plain(int n) throws Exception {
        ChildJvm.Result p = ChildJvm.of(ManyFilesDemo.class, Integer.toString(n)).unlimited().run();
        return p.out;
    }

    /** Null when the run had one stderr line naming the setting and the plain run's output. */
    private static String check(ChildJvm.Result r, String named) {
        String[] lines = r.err.strip().split("\\R");
        if (r.exit != 0) {
            return "exit " + r.exit + "\n" + r;
        }
        if (!r.out.equals(plain.out)) {
            return "output differs from the run without the agent\n" + r;
        }
        if (lines.length != 1 || !lines[0].startsWith("fdcap: ") || !lines[0].contains(named)
                || !lines[0].endsWith("running without fdcap")) {
            return "expected one line naming " + named + ", got:\n" + r.err;
        }
        assertFalse(r.err.contains("suspensions="), "the agent ran despite the bad setting");
        return null;
    }
}
