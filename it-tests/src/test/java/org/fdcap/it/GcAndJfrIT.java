package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.it.scenarios.GcCleanup;
import org.fdcap.it.scenarios.JfrRecording;
import org.junit.jupiter.api.Test;

/** Files the program forgets to close; a JFR recording started and stopped mid-run. */
class GcAndJfrIT {
    @Test
    void forgottenFilesAreCleanedByTheGcAndNeverCloseAnotherFilesNumber() throws Exception {
        ChildJvm.Result r = ChildJvm.of(GcCleanup.class, "gc", "10", "100").limit(256).withAgent("max=64").run();

        assertEquals(0, r.exit, r::toString);
        assertEquals("verified: 1000 of 1000\n", r.out);
        assertTrue(r.suspensions() > 0, r::toString);
        assertEquals(0, r.errors(), "a collected object is passed over, not an error: " + r);
        assertTrue(r.maxFds <= 64, r::toString);
    }

    @Test
    void aJfrRecordingStartingAndStoppingChangesNothing() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(JfrRecording.class, "jfr-reference", "300").unlimited().run();
        ChildJvm.Result r = ChildJvm.of(JfrRecording.class, "jfr-capped", "300").limit(256).withAgent("max=100")
                .run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.suspensions() > 1000 && r.restores() > 1000, r::toString);
        assertTrue(r.maxFds <= 100, r::toString);
    }
}
