package org.fdcap.agent.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class LogSettingsTest {
    @Test
    void eachLevelLetsThroughItselfAndWhatIsMoreSevere() {
        assertEquals(Level.ERROR.toInt(), LogSettings.threshold("error"));
        assertEquals(Level.WARN.toInt(), LogSettings.threshold("warn"));
        assertEquals(Level.INFO.toInt(), LogSettings.threshold("info"));
        assertEquals(Level.DEBUG.toInt(), LogSettings.threshold("debug"));
        assertEquals(Level.TRACE.toInt(), LogSettings.threshold("trace"));
    }

    @Test
    void offLetsNothingThrough() {
        assertEquals(Integer.MAX_VALUE, LogSettings.threshold("off"));
    }

    @Test
    void anUnknownLevelIsWarnAsLogbackReadsIt() {
        assertEquals(Level.WARN.toInt(), LogSettings.threshold("loud"));
        assertEquals(Level.WARN.toInt(), LogSettings.threshold(null));
    }
}
