package org.fdcap.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void defaultsApplyWhenNothingIsSet() throws Exception {
        AgentConfig c = AgentConfig.parse(null, props());

        assertNull(c.max());
        assertEquals(AgentConfig.DEFAULT_RESERVE, c.reserve());
        assertEquals("warn", c.logLevel());
        assertNull(c.logFile());
        assertNull(c.unlinkedDir());
        assertFalse(c.statsAtExit());
        assertTrue(c.enabled());
    }

    @Test
    void systemPropertiesAreRead() throws Exception {
        AgentConfig c = AgentConfig.parse(null, props("fdcap.max", "200", "fdcap.reserve", "8",
                "fdcap.log.level", "DEBUG", "fdcap.stats", "exit"));

        assertEquals(200, c.max());
        assertEquals(8, c.reserve());
        assertEquals("debug", c.logLevel());
        assertTrue(c.statsAtExit());
    }

    @Test
    void agentArgumentsMirrorThePropertiesAndWinOverThem() throws Exception {
        AgentConfig c = AgentConfig.parse("max=150,reserve=4,fdcap.stats=exit", props("fdcap.max", "200"));

        assertEquals(150, c.max());
        assertEquals(4, c.reserve());
        assertTrue(c.statsAtExit());
    }

    @Test
    void aBadValueNamesThePropertyAndWhatItAccepts() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.max", "lots")));

        assertTrue(e.getMessage().startsWith("invalid fdcap.max=lots: expected a whole number"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void zeroMaxNegativeReserveUnknownLevelAndStatsAreRefused() {
        assertThrows(ConfigException.class, () -> AgentConfig.parse("max=0", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("reserve=-1", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("log.level=loud", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("stats=always", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("include=[", props()));
    }

    @Test
    void anUnknownAgentArgumentIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("maximum=3", props()));

        assertTrue(e.getMessage().contains("maximum=3"), e.getMessage());
    }

    @Test
    void includeAndExcludeGlobsSelectPaths() throws Exception {
        AgentConfig c = AgentConfig.parse(null, props("fdcap.include", "/data/**:/srv/*.db",
                "fdcap.exclude", "**.lock"));
        AgentConfig.PathFilter f = c.pathFilter();

        assertEquals(List.of("/data/**", "/srv/*.db"), c.include());
        assertTrue(f.test(Path.of("/data/a/b.bin")));
        assertTrue(f.test(Path.of("/srv/x.db")));
        assertFalse(f.test(Path.of("/data/a/b.lock")));
        assertFalse(f.test(Path.of("/tmp/other")));
    }

    @Test
    void withoutIncludeEveryPathButTheExcludedIsManaged() throws Exception {
        AgentConfig.PathFilter f = AgentConfig.parse("exclude=/var/log/**", props()).pathFilter();

        assertTrue(f.test(Path.of("/tmp/x")));
        assertFalse(f.test(Path.of("/var/log/app.log")));
    }

    @Test
    void logFileMustBeInAnExistingDirectory() {
        assertThrows(ConfigException.class, () -> AgentConfig.parse("log.file=/no/such/dir/x.log", props()));
    }

    @Test
    void operabilitySettingsDefaultToJmxOnlyAndParseDurations() throws Exception {
        AgentConfig off = AgentConfig.parse(null, props());
        AgentConfig on = AgentConfig.parse("stats.interval=500ms,leaks=true,jmx=false", props());

        assertNull(off.statsInterval());
        assertFalse(off.leaks());
        assertTrue(off.jmx());
        assertEquals(java.time.Duration.ofMillis(500), on.statsInterval());
        assertTrue(on.leaks());
        assertFalse(on.jmx());
        assertEquals(java.time.Duration.ofSeconds(30),
                AgentConfig.parse(null, props("fdcap.stats.interval", "30s")).statsInterval());
        assertEquals(java.time.Duration.ofSeconds(45),
                AgentConfig.parse(null, props("fdcap.stats.interval", "45")).statsInterval());
        assertEquals(java.time.Duration.ofMinutes(5),
                AgentConfig.parse(null, props("fdcap.stats.interval", "5m")).statsInterval());
    }

    @Test
    void getFdIsFollowedUnlessPinIsAsked() throws Exception {
        assertFalse(AgentConfig.parse(null, props()).pinOnGetFd());
        assertFalse(AgentConfig.parse("getfd=follow", props()).pinOnGetFd());
        assertTrue(AgentConfig.parse(null, props("fdcap.getfd", " PIN ")).pinOnGetFd());
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("getfd=never", props()));
        assertTrue(e.getMessage().startsWith("invalid fdcap.getfd=never: expected follow ("), e.getMessage());
    }

    @Test
    void aBadIntervalOrLeaksValueNamesWhatIsAccepted() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("stats.interval=soon", props()));
        assertEquals("invalid fdcap.stats.interval=soon: expected a duration of at least 10ms such as 30s, 500ms, 5m"
                + " or 1h", e.getMessage());
        assertThrows(ConfigException.class, () -> AgentConfig.parse("stats.interval=1ms", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("leaks=yes", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse(null, props("fdcap.jmx", "maybe")));
    }

    @Test
    void everyNumberOutOfRangeOrNotANumberIsRefusedWithOneLineNamingIt() {
        for (String bad : List.of("max=-1", "max=0", "max=99999999999", "max=12abc", "max=", "max=1.5",
                "reserve=-1", "reserve=lots", "reserve=99999999999")) {
            ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse(bad, props()), bad);
            assertTrue(e.getMessage().startsWith("invalid fdcap." + bad + ": expected a whole number"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void everyWordSettingRefusesWhatItDoesNotKnow() {
        for (String bad : List.of("log.level=", "log.level=verbose", "stats=sometimes", "enabled=yes", "enabled=",
                "include=[", "exclude=**{")) {
            ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse(bad, props()), bad);
            assertTrue(e.getMessage().startsWith("invalid fdcap." + bad + ": expected "), e.getMessage());
        }
    }

    @Test
    void anUnknownFdcapSystemPropertyIsRefusedRatherThanIgnored() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.maximum", "200")));

        assertTrue(e.getMessage().startsWith("unknown setting fdcap.maximum=200: expected one of fdcap.max, "),
                e.getMessage());
    }

    @Test
    void propertiesOfOtherPrefixesAreNotSettings() throws Exception {
        AgentConfig c = AgentConfig.parse(null, props("fdcapx", "1", "other", "2", "FDCAP.max", "3"));

        assertTrue(c.enabled());
        assertNull(c.max());
    }

    @Test
    void theDebuggingSettingIsReadLikeEveryOther() throws Exception {
        assertFalse(AgentConfig.parse(null, props()).debugTransform());
        assertTrue(AgentConfig.parse(null, props("fdcap.debug.transform", "true")).debugTransform());
        assertTrue(AgentConfig.parse("debug.transform=true", props()).debugTransform());
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.debug.transform", "yes")));
        assertEquals("invalid fdcap.debug.transform=yes: expected true or false", e.getMessage());
    }

    @Test
    void anUnknownDebuggingNameIsRefused() {
        ConfigException p = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.debug.transforms", "true")));
        ConfigException a = assertThrows(ConfigException.class, () -> AgentConfig.parse("debug.all=true", props()));

        assertTrue(p.getMessage().startsWith("unknown setting fdcap.debug.transforms=true: expected one of"),
                p.getMessage());
        assertTrue(a.getMessage().startsWith("invalid agent argument 'debug.all=true'"), a.getMessage());
    }

    @Test
    void aPoolDirectoryThatIsASymbolicLinkIsRefused(@TempDir Path dir) throws Exception {
        Path target = Files.createDirectory(dir.resolve("target"), ownerOnly());
        Path link = Files.createSymbolicLink(dir.resolve("pool"), target);

        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse("unlinked.dir=" + link, props()));

        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void aDanglingSymbolicLinkAsPoolIsRefusedToo(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("pool"), dir.resolve("nowhere"));

        assertThrows(ConfigException.class, () -> AgentConfig.parse("unlinked.dir=" + link, props()));
    }

    @Test
    void aWorldWritablePoolDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Path pool = Files.createDirectory(dir.resolve("pool"));
        Files.setAttribute(pool, "unix:mode", 01777);

        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse("unlinked.dir=" + pool, props()));

        assertTrue(e.getMessage().contains("open to other users (mode 777)"), e.getMessage());
    }

    @Test
    void aPoolDirectoryOfAnotherUserIsRefused(@TempDir Path dir) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give a directory away");
        Path pool = Files.createDirectory(dir.resolve("pool"), ownerOnly());
        Files.setAttribute(pool, "unix:uid", 65534);

        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse("unlinked.dir=" + pool, props()));

        assertTrue(e.getMessage().contains("belongs to uid 65534"), e.getMessage());
    }

    @Test
    void aPrivatePoolDirectoryOrOneToBeCreatedIsAccepted(@TempDir Path dir) throws Exception {
        Path pool = Files.createDirectory(dir.resolve("pool"), ownerOnly());

        assertEquals(pool, AgentConfig.parse("unlinked.dir=" + pool, props()).unlinkedDir());
        assertEquals(dir.resolve("new"), AgentConfig.parse("unlinked.dir=" + dir.resolve("new"), props()).unlinkedDir());
    }

    @Test
    void aLogFileThatIsADirectoryOrUnwritableIsRefused(@TempDir Path dir) throws Exception {
        assertThrows(ConfigException.class, () -> AgentConfig.parse("log.file=" + dir, props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("log.file=", props()));
    }

    private static java.nio.file.attribute.FileAttribute<?> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    }
}
