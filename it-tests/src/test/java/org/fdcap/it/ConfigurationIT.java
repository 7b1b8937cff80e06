package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.examples.ManyFilesDemo;
import org.junit.jupiter.api.Test;

/** Settings: a bad value is one clear line, and the program runs as without the agent. */
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
}
