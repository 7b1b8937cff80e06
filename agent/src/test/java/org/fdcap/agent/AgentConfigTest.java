package org.fdcap.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

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
    void aBadIntervalOrLeaksValueNamesWhatIsAccepted() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.parse("stats.interval=soon", props()));
        assertEquals("invalid fdcap.stats.interval=soon: expected a duration of at least 10ms such as 30s, 500ms, 5m"
                + " or 1h", e.getMessage());
        assertThrows(ConfigException.class, () -> AgentConfig.parse("stats.interval=1ms", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse("leaks=yes", props()));
        assertThrows(ConfigException.class, () -> AgentConfig.parse(null, props("fdcap.jmx", "maybe")));
    }
}
