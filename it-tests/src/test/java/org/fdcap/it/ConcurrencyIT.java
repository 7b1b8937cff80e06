package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.it.scenarios.ConcurrentReads;
import org.fdcap.it.scenarios.InterruptedChannels;
import org.junit.jupiter.api.Test;

/** Many threads on shared channels and files; channels closed by interrupts. */
class ConcurrencyIT {
    @Test
    void positionalReadsFromManyThreadsOnSharedChannelsSeeTheRightBytes() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(ConcurrentReads.class, "reads-reference", "400", "4", "3000")
                .unlimited().run();
        ChildJvm.Result r = ChildJvm.of(ConcurrentReads.class, "reads-capped", "400", "4", "3000").limit(256)
                .withAgent("max=128").run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.out.contains("mismatches: 0"), r::toString);
        assertTrue(r.suspensions() > 1000 && r.restores() > 1000, r::toString);
        assertTrue(r.maxFds <= 128, r::toString);
    }

    @Test
    void aChannelClosedByAnInterruptGivesItsSlotBack() throws Exception {
        ChildJvm.Result r = ChildJvm.of(InterruptedChannels.class, "interrupts", "300").limit(256)
                .withAgent("max=64").run();

        assertEquals(0, r.exit, r::toString);
        assertEquals("closed by interrupt: 300 of 300\n", r.out);
        assertTrue(r.err.contains(" active=0 "), "slots not given back: " + r.err);
    }
}
