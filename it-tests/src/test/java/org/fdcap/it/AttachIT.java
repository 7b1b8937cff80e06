package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.tools.attach.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.fdcap.it.scenarios.OpsTarget;
import org.junit.jupiter.api.Test;

/** {@code java -jar fdcap-agent.jar attach|status}: the agent loaded into a JVM that is already running. */
class AttachIT {
    private static final String LOCAL_CONNECTOR = "com.sun.management.jmxremote.localConnectorAddress";
    private static final String DYNAMIC_LOAD_WARNING = "WARNING: A Java agent has been loaded dynamically";

    @Test
    void attachedToARunningJvmTheAgentAdoptsItsOpenFilesAndKeepsItUnderTheCap() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(OpsTarget.class, "attach-reference", "60", "600", "batch", "close")
                .unlimited().run();
        ChildJvm.Running child = ChildJvm.of(OpsTarget.class, "attach-capped", "60", "600", "interactive", "close")
                .limit(256).start();
        String pid = Long.toString(child.pid());
        child.awaitOutput("ready");
        ChildJvm.Result before = AgentCli.run("status", pid);
        ChildJvm.Result attach = AgentCli.run("attach", pid, "max=200,stats=exit");
        child.send("go");
        child.awaitOutput("idle");
        ChildJvm.Result status = AgentCli.run("status", pid, "--files");
        long lockedInode = (Long) Files.getAttribute(ChildJvm.WORK.resolve("attach-capped").resolve("f1"), "unix:ino");
        List<String> locks = Files.readAllLines(Path.of("/proc/locks"));
        ChildJvm.Result again = AgentCli.run("attach", pid, "max=200");
        child.send("exit");
        ChildJvm.Result r = child.finish();

        assertEquals(1, before.exit, before::toString);
        assertEquals("fdcap: JVM " + pid + " does not run the fdcap agent\n", before.err);
        assertEquals(0, attach.exit, attach::toString);
        assertTrue(attach.out.startsWith("fdcap: agent loaded into JVM " + pid + "\nfdcap in JVM " + pid
                + ": capacity="), attach::toString);

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out.replace("ready\n", "").replace("idle\n", ""), r::toString);
        assertTrue(r.maxFds <= 200, r::toString);
        assertTrue(r.suspensions() > 0 && r.restores() > 0, r::toString);
        assertEquals(0, r.errors(), r::toString);
        // No background suspensions when attached: OpsTarget's main, running at the attach, keeps
        // its direct getFilePointer() calls, which must never find their file suspended meanwhile.
        assertTrue(r.err.contains(" (ahead=0) "), r::toString);

        assertEquals(0, status.exit, status::toString);
        Map<String, Long> mbean = AgentCli.numbers(status.out, "fdcap in JVM");
        assertEquals(660, mbean.get("open") + mbean.get("suspended"), status::toString);
        Path dir = ChildJvm.WORK.resolve("attach-capped");
        // Opened before the attach (a RandomAccessFile and a FileChannel), adopted on their next use.
        assertTrue(status.out.contains("    " + dir.resolve("f0") + " ["), status::toString);

        // f1 was locked before the attach: adopted, but never suspended (that would drop the lock).
        assertTrue(locks.stream().anyMatch(l -> l.matches(".* POSIX +ADVISORY +WRITE +" + pid + " +[0-9a-f]+:[0-9a-f]+:"
                + lockedInode + " .*")), locks::toString);
        assertTrue(status.out.contains("    " + dir.resolve("f1") + " [open, locked]"), status::toString);

        assertEquals(1, again.exit, again::toString);
        assertTrue(again.err.startsWith("fdcap: JVM " + pid + " already runs the fdcap agent"), again::toString);

        boolean warns = Runtime.version().feature() >= 21;
        assertEquals(warns, r.err.contains(DYNAMIC_LOAD_WARNING), r::toString);
        // The JVM warns that class data sharing is now limited (the agent's bridge was appended to
        // the boot class path at run time); JDK 21+ also warns about the dynamic load (JEP 451).
        String rest = r.errWithoutStats()
                .replaceAll("(?m)^WARNING: (A Java agent has been loaded dynamically|If a serviceability tool"
                        + "|Dynamic loading of agents will be disallowed).*\\R", "")
                .replace("OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes because"
                        + " bootstrap classpath has been appended\n", "");
        assertEquals("", rest, r::toString);
    }

    @Test
    void aBadSettingIsRefusedAtOnceBeforeTheTargetIsTouched() throws Exception {
        ChildJvm.Running child = ChildJvm.of(OpsTarget.class, "attach-refused", "4", "4", "interactive", "close")
                .limit(256).start();
        String pid = Long.toString(child.pid());
        child.awaitOutput("ready");
        long t0 = System.nanoTime();
        ChildJvm.Result typo = AgentCli.run("attach", pid, "maxx=200");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        ChildJvm.Result value = AgentCli.run("attach", pid, "max=200,stats.interval=soon");
        List<String> threads = threadNames(child.pid());
        List<String> fds = descriptorTargets(child.pid());
        String childErr = child.errSoFar();
        child.send("go");
        child.awaitOutput("idle");
        child.send("exit");
        ChildJvm.Result r = child.finish();

        assertEquals(2, typo.exit, typo::toString);
        assertEquals("", typo.out, typo::toString);
        assertTrue(typo.err.startsWith("fdcap: invalid agent argument 'maxx=200': expected key=value pairs"),
                typo::toString);
        assertTrue(typo.err.endsWith("; JVM " + pid + " left alone\n"), typo::toString);
        assertEquals(1, typo.err.split("\n").length, typo::toString);
        assertEquals("fdcap: invalid fdcap.stats.interval=soon (agent argument): expected a duration of at least 10ms"
                + " such as 30s, 500ms, 5m or 1h; JVM " + pid + " left alone\n", value.err, value::toString);
        assertEquals(2, value.exit, value::toString);
        // A JVM started and ended; before the check, this took about 18 s and changed the target.
        assertTrue(millis < 5_000, "took " + millis + " ms");
        // Never attached to: HotSpot starts its attach listener on the first attach only.
        assertFalse(threads.contains("Attach Listener"), threads::toString);
        assertFalse(fds.stream().anyMatch(f -> f.endsWith("fdcap-agent.jar")), fds::toString);
        assertEquals("", childErr);
        assertEquals(0, r.exit, r::toString);
        assertEquals("", r.err, r::toString);
    }

    /** The names of the threads of a process (its tasks' comm, at most 15 characters). */
    private static List<String> threadNames(long pid) throws java.io.IOException {
        List<String> names = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                names.add(Files.readString(task.resolve("comm")).strip());
            }
        }
        return names;
    }

    /** What the descriptors of a process point to. */
    private static List<String> descriptorTargets(long pid) throws java.io.IOException {
        List<String> targets = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    targets.add(Files.readSymbolicLink(fd).toString());
                } catch (java.io.IOException e) {
                    // closed meanwhile
                }
            }
        }
        return targets;
    }

    @Test
    void statusLeavesAJvmWithoutFdcapAsItWasAndStartsNoJmxConnectorThere() throws Exception {
        ChildJvm.Running plain = ChildJvm.of(OpsTarget.class, "status-plain", "0", "0", "interactive", "close")
                .limit(256).start();
        ChildJvm.Running noJmx = ChildJvm.of(OpsTarget.class, "status-nojmx", "0", "0", "interactive", "close")
                .limit(256).withAgent("jmx=false").start();
        plain.awaitOutput("ready");
        noJmx.awaitOutput("ready");
        ChildJvm.Result statusPlain = AgentCli.run("status", Long.toString(plain.pid()));
        ChildJvm.Result statusNoJmx = AgentCli.run("status", Long.toString(noJmx.pid()));
        Properties plainAfter = properties(plain.pid(), true);
        Properties noJmxAfter = properties(noJmx.pid(), true);
        Properties noJmxSystem = properties(noJmx.pid(), false);
        for (ChildJvm.Running child : List.of(plain, noJmx)) {
            child.send("go");
            child.awaitOutput("idle");
            child.send("exit");
            assertEquals(0, child.finish().exit);
        }

        assertEquals(1, statusPlain.exit, statusPlain::toString);
        assertEquals("fdcap: JVM " + plain.pid() + " does not run the fdcap agent\n", statusPlain.err);
        assertEquals("", statusPlain.out);
        assertEquals(1, statusNoJmx.exit, statusNoJmx::toString);
        assertTrue(statusNoJmx.err.matches("fdcap: JVM " + noJmx.pid() + " runs fdcap \\S+ with fdcap.jmx=false: no"
                + " status to read\n"), statusNoJmx::toString);
        // What the JDK's management agent publishes once it has started a connector.
        assertFalse(plainAfter.containsKey(LOCAL_CONNECTOR), plainAfter::toString);
        assertFalse(noJmxAfter.containsKey(LOCAL_CONNECTOR), noJmxAfter::toString);
        assertFalse(plainAfter.containsKey("fdcap.version"), plainAfter::toString);
        assertTrue(noJmxAfter.containsKey("fdcap.version"), noJmxAfter::toString);
        // The agent says it runs there in the JVM's agent properties, not in the program's system properties.
        assertFalse(noJmxSystem.containsKey("fdcap.version"), noJmxSystem::toString);
    }

    /** The agent properties, or the system properties, of JVM {@code pid}, read through the attach API. */
    private static Properties properties(long pid, boolean agent) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            return agent ? vm.getAgentProperties() : vm.getSystemProperties();
        } finally {
            vm.detach();
        }
    }

    @Test
    void withoutArgumentsTheCommandLinePrintsUsage() throws Exception {
        ChildJvm.Result none = AgentCli.run();
        ChildJvm.Result help = AgentCli.run("help");
        ChildJvm.Result badPid = AgentCli.run("status", "twelve");

        assertEquals(2, none.exit, none::toString);
        assertTrue(none.err.startsWith("Usage: java -jar fdcap-agent.jar <command>\n"), none::toString);
        assertTrue(none.err.contains("  attach <pid> [options]") && none.err.contains("  status <pid> [--files]"),
                none::toString);
        assertEquals("", none.out);
        assertEquals(0, help.exit, help::toString);
        assertEquals(none.err, help.out);
        assertEquals(2, badPid.exit, badPid::toString);
        assertTrue(badPid.err.startsWith("fdcap: not a process id: twelve\n"), badPid::toString);
        assertFalse(badPid.out.contains("fdcap in JVM"), badPid::toString);
    }
}
