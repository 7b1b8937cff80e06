package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.examples.ManyFilesDemo;
import org.fdcap.it.scenarios.UnmanagedGrowth;
import org.junit.jupiter.api.Test;

/** The main job: thousands of files open at once under a limit of 256 descriptors. */
class ManyFilesIT {
    /** 1,000 RandomAccessFiles, 1,000 FileChannels, 1,000 logs each with a FileWriter and a FileInputStream. */
    private static final String FILES_PER_KIND = "1000";

    @Test
    void fourThousandDescriptorsOfFilesChannelsAndStreamsRunUnderACapOf200() throws Exception {
        ChildJvm.Result uncapped = ChildJvm.of(ManyFilesDemo.class, FILES_PER_KIND).unlimited().run();
        assertEquals(0, uncapped.exit, uncapped::toString);

        ChildJvm.Result capped = ChildJvm.of(ManyFilesDemo.class, FILES_PER_KIND).limit(256)
                .withAgent("max=200").run();

        assertEquals(0, capped.exit, capped::toString);
        assertEquals(uncapped.out, capped.out, "output differs from the uncapped run");
        assertTrue(capped.suspensions() > 4000, capped::toString);
        assertTrue(capped.restores() > 4000, capped::toString);
        assertEquals(0, capped.errors(), capped::toString);
        assertTrue(capped.maxFds <= 200, "the child held " + capped.maxFds + " descriptors, over the cap of 200; at the highest count:\n"
                + capped.peakFds);
        assertEquals("", capped.errWithoutStats(), "the agent printed something in normal operation");
    }

    @Test
    void withoutTheAgentTheSameProgramRunsOutOfDescriptors() throws Exception {
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, FILES_PER_KIND).limit(256).run();

        assertNotEquals(0, r.exit, r::toString);
        assertTrue(r.err.contains("Too many open files"), r::toString);
    }

    @Test
    void whenUnmanagedDescriptorsOutgrowTheReserveTheAgentSuspendsMoreAndRetriesTheOpen() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(UnmanagedGrowth.class, "growth-reference", "120", "600").unlimited()
                .run();
        ChildJvm.Result r = ChildJvm.of(UnmanagedGrowth.class, "growth-capped", "120", "600").limit(256).withAgent()
                .run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.suspensions() > 0, r::toString);
    }

    @Test
    void withoutSettingsTheAgentKeepsTheProgramUnderItsRlimit() throws Exception {
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "500").limit(128).withAgent().run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
        assertTrue(r.maxFds <= 128, r::toString);
    }
}
