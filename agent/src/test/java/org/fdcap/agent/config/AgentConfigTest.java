package org.fdcap.agent.config;


import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

        assertTrue(e.getMessage().startsWith("invalid fdcap.max=lots (system property): expected a whole number"),
                e.getMessage());
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
        assertTrue(f.test("/data/a/b.bin"));
        assertTrue(f.test("/srv/x.db"));
        assertFalse(f.test("/data/a/b.lock"));
        assertFalse(f.test("/tmp/other"));
    }

    @Test
    void withoutIncludeEveryPathButTheExcludedIsManaged() throws Exception {
        AgentConfig.PathFilter f = AgentConfig.parse("exclude=/var/log/**", props()).pathFilter();

        assertTrue(f.test("/tmp/x"));
        assertFalse(f.test("/var/log/app.log"));
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
        assertTrue(e.getMessage().startsWith("invalid fdcap.getfd=never (agent argument): expected follow ("),
                e.getMessage());
    }

    @Test
    void aBadIntervalOrLeaksValueNamesWhatIsAccepted() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("stats.interval=soon", props()));
        assertEquals("invalid fdcap.stats.interval=soon (agent argument): expected a duration of at least 10ms such as"
                + " 30s, 500ms, 5m"
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
            assertTrue(e.getMessage().startsWith("invalid fdcap." + bad + " (agent argument): expected a whole number"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void everyWordSettingRefusesWhatItDoesNotKnow() {
        for (String bad : List.of("log.level=", "log.level=verbose", "stats=sometimes", "enabled=yes", "enabled=",
                "include=[", "exclude=**{")) {
            ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse(bad, props()), bad);
            assertTrue(e.getMessage().startsWith("invalid fdcap." + bad + " (agent argument): expected "), e.getMessage());
        }
    }

    @Test
    void anUnknownFdcapSystemPropertyIsRefusedRatherThanIgnored() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.maximum", "200")));

        assertTrue(e.getMessage().startsWith("unknown setting fdcap.maximum=200 (system property): expected one of"
                + " fdcap.max, "),
                e.getMessage());
    }

    @Test
    void propertiesOfOtherPrefixesAreNotSettings() throws Exception {
        AgentConfig c = AgentConfig.parse(null, props("fdcapx", "1", "other", "2", "FDCAP.max", "3"));

        assertTrue(c.enabled());
        assertNull(c.max());
    }

    @Test
    void theDebuggingSettingIsReadLikeEveryOtherFromEverySource() throws Exception {
        assertFalse(AgentConfig.parse(null, props()).debugTransform());
        assertTrue(AgentConfig.parse(null, props("fdcap.debug.transform", "true")).debugTransform());
        assertTrue(AgentConfig.parse("debug.transform=true", props()).debugTransform());
        assertTrue(AgentConfig.parse(null, props(), env("FDCAP_DEBUG_TRANSFORM", "true")).debugTransform());
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.debug.transform", "yes")));
        assertEquals("invalid fdcap.debug.transform=yes (system property): expected true or false", e.getMessage());
    }

    @Test
    void anUnknownDebuggingNameIsRefusedInEverySource() {
        ConfigException p = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.debug.transforms", "true")));
        ConfigException a = assertThrows(ConfigException.class, () -> AgentConfig.parse("debug.all=true", props()));
        ConfigException v = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props(), env("FDCAP_DEBUG_ALL", "true")));

        assertTrue(p.getMessage().startsWith("unknown setting fdcap.debug.transforms=true (system property)"),
                p.getMessage());
        assertTrue(a.getMessage().startsWith("invalid agent argument 'debug.all=true'"), a.getMessage());
        assertTrue(v.getMessage().startsWith("unknown environment variable FDCAP_DEBUG_ALL: expected one of"),
                v.getMessage());
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

    @Test
    void everySettingHasOneEnvironmentVariableNamedByTheRule() {
        assertEquals("FDCAP_MAX", ConfigSources.environmentName("max"));
        assertEquals("FDCAP_UNLINKED_DIR", ConfigSources.environmentName("unlinked.dir"));
        assertEquals("FDCAP_STATS_INTERVAL", ConfigSources.environmentName("stats.interval"));
        assertEquals("FDCAP_CONFIG_FILE", ConfigSources.environmentName("config.file"));
        assertEquals("FDCAP_SOME_NEW_NAME", ConfigSources.environmentName("some.new-name"));
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String key : AgentConfig.KEYS) {
            assertTrue(names.add(ConfigSources.environmentName(key)), key);
        }
    }

    @Test
    void environmentVariablesAreRead(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("fdcap.log");
        AgentConfig c = AgentConfig.parse(null, props(), env("FDCAP_MAX", "200", "FDCAP_LOG_LEVEL", "info",
                "FDCAP_LOG_FILE", log.toString(), "FDCAP_STATS_INTERVAL", "5m", "FDCAP_JMX", "false"));

        assertEquals(200, c.max());
        assertEquals("info", c.logLevel());
        assertEquals(log, c.logFile());
        assertEquals(java.time.Duration.ofMinutes(5), c.statsInterval());
        assertFalse(c.jmx());
        assertEquals("environment variable FDCAP_MAX", c.origin("max"));
        assertEquals("default", c.origin("reserve"));
    }

    @Test
    void variablesOfOtherProgramsAreNotLookedAt() throws Exception {
        AgentConfig c = AgentConfig.parse(null, props(), env("PATH", "/bin", "FDCAPX", "1", "fdcap_max", "3",
                "MY_FDCAP_MAX", "4"));

        assertNull(c.max());
    }

    @Test
    void aBadEnvironmentValueNamesTheVariable() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props(), env("FDCAP_MAX", "lots")));

        assertTrue(e.getMessage().startsWith("invalid fdcap.max=lots (environment variable FDCAP_MAX): expected a"
                + " whole number"), e.getMessage());
    }

    @Test
    void anUnknownFdcapVariableIsRefusedByNameWithoutItsValue() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props(), env("FDCAP_MAXIMUM", "s3cret")));

        assertTrue(e.getMessage().startsWith("unknown environment variable FDCAP_MAXIMUM: expected one of FDCAP_MAX,"
                + " FDCAP_RESERVE, "), e.getMessage());
        assertTrue(e.getMessage().contains("FDCAP_UNLINKED_DIR"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void argumentBeatsPropertyBeatsEnvironmentBeatsFileBeatsDefault(@TempDir Path dir) throws Exception {
        Path file = write(dir.resolve("fdcap.properties"), "fdcap.max=1000", "fdcap.reserve=7",
                "fdcap.log.level=debug", "fdcap.stats=exit");
        AgentConfig c = AgentConfig.parse("max=700",
                props("fdcap.max", "800", "fdcap.reserve", "9"),
                env("FDCAP_MAX", "900", "FDCAP_RESERVE", "8", "FDCAP_LOG_LEVEL", "info",
                        "FDCAP_CONFIG_FILE", file.toString()));

        assertEquals(700, c.max());
        assertEquals(9, c.reserve());
        assertEquals("info", c.logLevel());
        assertTrue(c.statsAtExit());
        assertTrue(c.jmx());
        assertEquals("agent argument", c.origin("max"));
        assertEquals("system property", c.origin("reserve"));
        assertEquals("environment variable FDCAP_LOG_LEVEL", c.origin("log.level"));
        assertEquals("file " + file, c.origin("stats"));
        assertEquals("default", c.origin("jmx"));
    }

    @Test
    void theConfigurationFileIsNamedByArgumentPropertyOrEnvironmentWithTheSamePrecedence(@TempDir Path dir)
            throws Exception {
        Path a = write(dir.resolve("a.properties"), "fdcap.max=101");
        Path p = write(dir.resolve("p.properties"), "fdcap.max=102");
        Path e = write(dir.resolve("e.properties"), "fdcap.max=103");

        assertEquals(101, AgentConfig.parse("config.file=" + a, props("fdcap.config.file", p.toString()),
                env("FDCAP_CONFIG_FILE", e.toString())).max());
        assertEquals(102, AgentConfig.parse(null, props("fdcap.config.file", p.toString()),
                env("FDCAP_CONFIG_FILE", e.toString())).max());
        assertEquals(103, AgentConfig.parse(null, props(), env("FDCAP_CONFIG_FILE", e.toString())).max());
    }

    @Test
    void theConfigurationFileIsUtf8PropertiesWithFullNames(@TempDir Path dir) throws Exception {
        Path pool = Files.createDirectory(dir.resolve("pööl"), ownerOnly());
        Path file = write(dir.resolve("fdcap.properties"), "# fdcap for the search service", "",
                "fdcap.max = 300", "fdcap.unlinked.dir: " + pool, "fdcap.getfd\t pin", "fdcap.exclude=/var/log/** \\",
                "    :**.{lock,pid}");

        AgentConfig c = AgentConfig.parse("config.file=" + file, props());

        assertEquals(300, c.max());
        assertEquals(pool, c.unlinkedDir());
        assertTrue(c.pinOnGetFd());
        assertEquals(List.of("/var/log/**", "**.{lock,pid}"), c.exclude());
    }

    @Test
    void aListIsSeparatedByColonsAndAGlobKeepsItsCommasInEverySource(@TempDir Path dir) throws Exception {
        Path file = write(dir.resolve("f.properties"), "fdcap.exclude=**.{log,tmp}:/var/**");
        List<AgentConfig> all = List.of(
                AgentConfig.parse("exclude=**.{log,tmp}:/var/**,max=50", props()),
                AgentConfig.parse(null, props("fdcap.exclude", "**.{log,tmp}:/var/**")),
                AgentConfig.parse(null, props(), env("FDCAP_EXCLUDE", "**.{log,tmp}:/var/**")),
                AgentConfig.parse("config.file=" + file, props()));

        for (AgentConfig c : all) {
            assertEquals(List.of("**.{log,tmp}", "/var/**"), c.exclude());
            assertFalse(c.pathFilter().test("/data/x.tmp"));
            assertTrue(c.pathFilter().test("/data/x.bin"));
        }
        assertEquals(50, all.get(0).max());
    }

    @Test
    void theArgumentSplitsAtCommasOutsideBracesOnly() {
        assertEquals(List.of("a=1", "b={x,y}", "c=**.{p,q}/z", "d="),
                ConfigSources.splitArgument("a=1,b={x,y},c=**.{p,q}/z,d="));
        assertEquals(List.of("a=}", "b=2"), ConfigSources.splitArgument("a=},b=2"));
    }

    @Test
    void aMissingConfigurationFileIsOneLineNamingItAndWhoNamedIt(@TempDir Path dir) {
        Path none = dir.resolve("none.properties");

        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props(), env("FDCAP_CONFIG_FILE", none.toString())));

        assertEquals("cannot read the configuration file " + none + " (fdcap.config.file from environment variable"
                + " FDCAP_CONFIG_FILE): no such file", e.getMessage());
    }

    @Test
    void aConfigurationFileThatIsADirectoryOrNotTextIsRefused(@TempDir Path dir) throws Exception {
        Path binary = Files.write(dir.resolve("bin.properties"), new byte[] {'f', '=', (byte) 0xff, (byte) 0xfe});

        ConfigException d = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.config.file", dir.toString())));
        ConfigException b = assertThrows(ConfigException.class,
                () -> AgentConfig.parse(null, props("fdcap.config.file", binary.toString())));
        ConfigException blank = assertThrows(ConfigException.class,
                () -> AgentConfig.parse("config.file=", props()));

        assertEquals("cannot read the configuration file " + dir + " (fdcap.config.file from system property):"
                + " a directory", d.getMessage());
        assertTrue(b.getMessage().endsWith("): not UTF-8 text"), b.getMessage());
        assertEquals("invalid fdcap.config.file= (agent argument): expected the path of a properties file",
                blank.getMessage());
    }

    @Test
    void anUnknownKeyInTheFileIsRefusedNamingTheKeyAndTheFile(@TempDir Path dir) throws Exception {
        Path typo = write(dir.resolve("typo.properties"), "fdcap.max=100", "fdcap.maxx=200");
        Path bare = write(dir.resolve("bare.properties"), "max=200");
        Path other = write(dir.resolve("other.properties"), "fdcap.debug.everything=true");

        ConfigException t = assertThrows(ConfigException.class, () -> AgentConfig.parse("config.file=" + typo, props()));
        ConfigException b = assertThrows(ConfigException.class, () -> AgentConfig.parse("config.file=" + bare, props()));
        ConfigException o = assertThrows(ConfigException.class, () -> AgentConfig.parse("config.file=" + other, props()));

        assertTrue(t.getMessage().startsWith("unknown setting fdcap.maxx in file " + typo + ": expected one of"
                + " fdcap.max, fdcap.reserve, "), t.getMessage());
        assertTrue(b.getMessage().startsWith("unknown setting max in file " + bare + ": expected one of fdcap.max"),
                b.getMessage());
        assertTrue(o.getMessage().startsWith("unknown setting fdcap.debug.everything in file " + other),
                o.getMessage());
        assertFalse(t.getMessage().contains("\n"));
    }

    @Test
    void aConfigurationFileCannotNameAnother(@TempDir Path dir) throws Exception {
        Path file = write(dir.resolve("a.properties"), "fdcap.config.file=/etc/other.properties");

        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("config.file=" + file, props()));

        assertTrue(e.getMessage().startsWith("invalid fdcap.config.file in file " + file + ": a configuration file"
                + " cannot name another"), e.getMessage());
    }

    @Test
    void aBadValueInTheFileNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = write(dir.resolve("fdcap.properties"), "fdcap.stats.interval=often");

        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("config.file=" + file, props()));

        assertTrue(e.getMessage().startsWith("invalid fdcap.stats.interval=often (file " + file + "): expected a"
                + " duration"), e.getMessage());
    }

    @Test
    void aValueFromAStrongerSourceDoesNotHideABadNameInAWeakerOne(@TempDir Path dir) throws Exception {
        Path file = write(dir.resolve("fdcap.properties"), "fdcap.maxx=5");

        assertThrows(ConfigException.class, () -> AgentConfig.parse("max=5,config.file=" + file, props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("max=5", props(), env("FDCAP_MAXX", "5")));
    }

    @Test
    void anArgumentForAnotherJvmIsCheckedInTheSameWords() {
        for (String bad : List.of("maxx=200", "max=0", "log.level=loud", "exclude=**{", "stats.interval=1ms", "max",
                "config.file=", "debug.all=true")) {
            ConfigException here = assertThrows(ConfigException.class, () -> AgentConfig.checkArgument(bad), bad);
            ConfigException there = assertThrows(ConfigException.class, () -> AgentConfig.parse(bad, props()), bad);
            assertEquals(there.getMessage(), here.getMessage());
        }
    }

    @Test
    void anArgumentForAnotherJvmLeavesItsPathsToIt(@TempDir Path dir) throws Exception {
        Path pool = dir.resolve("not/yet/pool");
        Path missingFile = dir.resolve("nowhere.properties");

        AgentConfig.checkArgument("max=200,exclude=**.{log,tmp},unlinked.dir=" + pool
                + ",log.file=/no/such/dir/fdcap.log,config.file=" + missingFile);

        assertFalse(Files.exists(dir.resolve("not")), "a directory was created");
        assertThrows(ConfigException.class, () -> AgentConfig.parse("log.file=/no/such/dir/fdcap.log", props()));
    }

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Path write(Path file, String... lines) throws java.io.IOException {
        return Files.write(file, List.of(lines), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static java.nio.file.attribute.FileAttribute<?> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    }
}
