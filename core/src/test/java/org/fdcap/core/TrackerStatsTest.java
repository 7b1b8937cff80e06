package org.fdcap.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The snapshot's derived numbers and its line, the one place the counters are named. */
class TrackerStatsTest {
    private static TrackerStats stats(long uses, long restores, long suspensions, long errors, long overshoots,
            int open, long ahead) {
        return new TrackerStats(100, uses, restores, suspensions, errors, overshoots, open, 3, 2, 1, 4, 5, 6, 7, ahead);
    }

    @Test
    void sinceTakesAwayTheEarlierCountersAndKeepsTheCurrentGauges() {
        TrackerStats start = stats(10, 4, 3, 2, 1, 9, 2);
        TrackerStats now = stats(15, 6, 7, 2, 1, 20, 5);

        assertEquals(new TrackerStats(100, 5, 2, 4, 0, 0, 20, 3, 2, 1, 4, 5, 6, 7, 3), now.since(start));
    }

    @Test
    void sinceItselfCountsNothing() {
        TrackerStats s = stats(10, 4, 3, 2, 1, 9, 2);

        TrackerStats zero = s.since(s);
        assertEquals(0, zero.uses() + zero.restores() + zero.suspensions() + zero.errors() + zero.overshoots()
                + zero.suspendedAhead());
        assertEquals(s.open(), zero.open());
    }

    @Test
    void theLineNamesEachCounterAsTheMBeanDoes() {
        String line = stats(15, 6, 7, 2, 1, 20, 3).toString();

        assertTrue(line.contains(" uses=15 restores=6 suspensions=7 (ahead=3) errors=2 overshoots=1"), line);
        assertTrue(line.startsWith("capacity=100 active=28 (open=20 unsuspendable=1 anchors=7) suspended=3 pinned=2"
                + " held=22 (escaped=4 locked=5 deleted=6 + the anchors)"), line);
    }
}
