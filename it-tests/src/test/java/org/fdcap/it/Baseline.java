package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.fdcap.examples.ManyFilesDemo;

/**
 * What a cap must add for the descriptors a child JVM already holds when the agent starts: the
 * agent's tracker gets {@code fdcap.max} less those, less its margin. Measured once per test JVM
 * from the capacity the agent reports for a known {@code fdcap.max}.
 */
final class Baseline {
    private static final int PROBE_MAX = 1000;
    private static int descriptorsAtStart = -1;

    private Baseline() {
    }

    /** {@code fdcap.max} minus the tracker capacity it gives: add a capacity to get a max. */
    static synchronized int descriptorsAtStart() throws Exception {
        if (descriptorsAtStart < 0) {
            ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "1").limit(PROBE_MAX).withAgent("max=" + PROBE_MAX)
                    .run();
            assertEquals(0, r.exit, r::toString);
            descriptorsAtStart = PROBE_MAX - (int) r.stat(1);
        }
        return descriptorsAtStart;
    }
}
