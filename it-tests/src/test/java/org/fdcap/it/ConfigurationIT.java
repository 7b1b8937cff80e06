package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fdcap.examples.ManyFilesDemo;
import org.junit.jupiter.api.Test;

/**
 * Settings from every source (agent argument, system property, environment, configuration file):
 * each takes effect, the stronger wins, and a bad value is one clear line naming where it came
 * from, the program then running as without the agent.
 */
class ConfigurationIT {
    @Test
    void aBadPropertyPrintsOneLineNamingItAndTheProgramRunsWithoutTheAgent() throws Exception {
        ChildJvm.Result plain = ChildJvm.of(ManyFilesDemo.class, "50").unlimited().run();
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").jvmArg("-Dfdcap.max=lots").withAgent().run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(plain.out, r.out);
        String[] lines = r.err.strip().split("\\R");
        assertEquals(1, lines.length, r::toString);
        assertTrue(lines[0].contains("fdcap.max=lots") && lines[0].contains("expected"), lines[0]);
        assertFalse(r.err.contains("suspensions="), "the agent ran despite the bad setting");
    }

    @Test
    void aBadAgentArgumentIsReportedTheSameWay() throws Exception {
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").withAgent("log.level=loud").run();

        assertEquals(0, r.exit, r::toString);
        String[] lines = r.err.strip().split("\\R");
        assertEquals(1, lines.length, r::toString);
        assertTrue(lines[0].contains("fdcap.log.level=loud"), lines[0]);
    }

    @Test
    void aCapBelowWhatTheJvmAlreadyHoldsIsRefused() throws Exception {
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").withAgent("max=3").run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.err.strip().startsWith("fdcap: invalid fdcap.max=3"), r::toString);
        assertEquals(1, r.err.strip().split("\\R").length, r::toString);
    }

    @Test
    void anEnvironmentVariableSetsTheCapAsThePropertyWould() throws Exception {
        ChildJvm.Result plain = ChildJvm.of(ManyFilesDemo.class, "50").unlimited().run();
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").env("FDCAP_MAX", "100").withAgent().run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(plain.out, r.out);
        assertTrue(r.maxFds <= 100, r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
        assertEquals("", r.errWithoutStats(), r::toString);
    }

    @Test
    void aConfigurationFileSetsTheCapAndGlobsWithCommas() throws Exception {
        Path file = configFile("capped.properties", "# the demo under a cap of 100", "fdcap.max=100",
                "fdcap.exclude=/nowhere/**.{a,b}:/nowhere/else/**", "fdcap.log.level=info");
        ChildJvm.Result plain = ChildJvm.of(ManyFilesDemo.class, "50").unlimited().run();
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "50").jvmArg("-Dfdcap.config.file=" + file).withAgent()
                .run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(plain.out, r.out);
        assertTrue(r.maxFds <= 100, r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
        assertTrue(r.err.contains(" active: max=100 ") && r.err.contains(" exclude=[/nowhere/**.{a,b},"
                + " /nowhere/else/**] "), r::toString);
    }

    @Test
    void theArgumentWinsOverThePropertyOverTheEnvironmentOverTheFile() throws Exception {
        Path file = configFile("weakest.properties", "fdcap.max=100", "fdcap.reserve=1", "fdcap.getfd=pin",
                "fdcap.log.level=info", "fdcap.leaks=true");
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "5").env("FDCAP_CONFIG_FILE", file.toString())
                .env("FDCAP_MAX", "90").env("FDCAP_RESERVE", "2").env("FDCAP_GETFD", "follow")
                .jvmArg("-Dfdcap.max=80").jvmArg("-Dfdcap.reserve=3").withAgent("max=70").run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.err.contains(" active: max=70 reserve=3 ") && r.err.contains(" leaks=true ")
                && r.err.contains(" getfd=follow "), r::toString);
    }

    @Test
    void aBadSettingFromTheEnvironmentOrTheFileIsOneLineNamingItsSource() throws Exception {
        ChildJvm.Result plain = ChildJvm.of(ManyFilesDemo.class, "50").unlimited().run();
        Path typo = configFile("typo.properties", "fdcap.max=100", "fdcap.maxx=100");
        Path missing = ChildJvm.WORK.resolve("configuration").resolve("missing.properties");
        Map<ChildJvm, String> cases = new LinkedHashMap<>();
        cases.put(ChildJvm.of(ManyFilesDemo.class, "50").env("FDCAP_MAX", "lots").withAgent(),
                "fdcap: invalid fdcap.max=lots (environment variable FDCAP_MAX): expected a whole number");
        cases.put(ChildJvm.of(ManyFilesDemo.class, "50").env("FDCAP_MAXX", "100").withAgent(),
                "fdcap: unknown environment variable FDCAP_MAXX: expected one of FDCAP_MAX, ");
        cases.put(ChildJvm.of(ManyFilesDemo.class, "50").withAgent("config.file=" + typo),
                "fdcap: unknown setting fdcap.maxx in file " + typo + ": expected one of fdcap.max, ");
        cases.put(ChildJvm.of(ManyFilesDemo.class, "50").env("FDCAP_CONFIG_FILE", missing.toString()).withAgent(),
                "fdcap: cannot read the configuration file " + missing + " (fdcap.config.file from environment"
                        + " variable FDCAP_CONFIG_FILE): no such file; running without fdcap");
        for (Map.Entry<ChildJvm, String> c : cases.entrySet()) {
            ChildJvm.Result r = c.getKey().run();

            assertEquals(0, r.exit, r::toString);
            assertEquals(plain.out, r.out, r::toString);
            String[] lines = r.err.strip().split("\\R");
            assertEquals(1, lines.length, r::toString);
            assertTrue(lines[0].startsWith(c.getValue()) && lines[0].endsWith("; running without fdcap"), r::toString);
        }
    }

    private static Path configFile(String name, String... lines) throws IOException {
        Path dir = Files.createDirectories(ChildJvm.WORK.resolve("configuration"));
        return Files.write(dir.resolve(name), List.of(lines), StandardCharsets.UTF_8);
    }
}
