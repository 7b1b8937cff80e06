package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.it.scenarios.StreamScenarios;
import org.junit.jupiter.api.Test;

/**
 * FileInputStream and FileOutputStream opened on a path, and the JDK classes built on them, 200
 * of a kind open at once under a cap of 64: appending streams keep appending while other writers
 * grow the file, a truncating stream never truncates again, reads and skips go on where they
 * stopped, a stream and its channel share one position, streams on a RandomAccessFile's or a
 * stream's descriptor share it, readers, writers, Scanner, Formatter and FileHandler work, the
 * GC's cleanup of dropped streams closes nothing of another file, and devices, /proc, a FIFO and
 * the standard output are left alone. The output is byte for byte that of an uncapped run without
 * the agent.
 */
class StreamsIT {
    @Test
    void streamsAndWhatTheJdkBuildsOnThemBehaveUnderACapAsWithoutTheAgent() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(StreamScenarios.class, "streams-reference", "200").unlimited().run();
        assertEquals(0, reference.exit, reference::toString);
        assertTrue(reference.out.endsWith("done\n"), reference::toString);

        ChildJvm.Result r = ChildJvm.of(StreamScenarios.class, "streams-capped", "200").limit(256)
                .withAgent("max=64").run();

        assertEquals(0, r.exit, r::toString);
        assertNull(DifferentialFuzzIT.firstMismatch(reference.out, r.out), r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.suspensions() > 10_000 && r.restores() > 10_000, r::toString);
        assertEquals(0, r.errors(), r::toString);
        assertTrue(r.maxFds <= 64, r::toString);
        assertEquals("", r.errWithoutStats());
        System.out.println("streams: " + r.suspensions() + " suspensions, " + r.restores() + " restores, at most "
                + r.maxFds + " descriptors (uncapped: " + reference.maxFds + ")");
    }

    /** The scenario needs the agent: the same limit without it fails at the first case. */
    @Test
    void theScenarioNeedsMoreDescriptorsThanTheLimitWithoutTheAgent() throws Exception {
        ChildJvm.Result r = ChildJvm.of(StreamScenarios.class, "streams-without", "200").limit(256).run();

        assertTrue(r.exit != 0, r::toString);
        assertTrue(r.err.contains("Too many open files"), r::toString);
    }
}
