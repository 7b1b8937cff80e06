package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.it.scenarios.ChangedBehindOurBack;
import org.fdcap.it.scenarios.PosixScenarios;
import org.junit.jupiter.api.Test;

/**
 * Every operation on suspended objects, and the POSIX cases (delete/rename/replace while open,
 * locks, mapped buffers, O_APPEND, rws/rwd, DELETE_ON_CLOSE, getFD escapes, close while
 * suspended): the output under the agent with a cap of 64 is byte for byte the output of an
 * uncapped run without it.
 */
class PosixSemanticsIT {
    @Test
    void everyOperationAndPosixCaseBehavesAsWithoutTheAgent() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(PosixScenarios.class, "posix-reference", "120").unlimited().run();
        assertEquals(0, reference.exit, reference::toString);

        ChildJvm.Result r = ChildJvm.of(PosixScenarios.class, "posix-capped", "120").limit(256).withAgent("max=64")
                .run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.out.endsWith("done\n"), r::toString);
        assertTrue(r.suspensions() > 1000 && r.restores() > 1000, r::toString);
        assertEquals(0, r.errors(), r::toString);
        assertTrue(r.maxFds <= 64, r::toString);
        assertEquals("", r.errWithoutStats());
    }

    @Test
    void aFileReplacedByAnotherProcessWhileSuspendedFailsWithAClearErrorNamingIt() throws Exception {
        ChildJvm.Result r = ChildJvm.of(ChangedBehindOurBack.class, "changed", "120").limit(256).withAgent("max=64")
                .run();

        assertEquals(0, r.exit, r::toString);
        assertTrue(r.out.contains("read failed: FileChangedException"), r::toString);
        assertTrue(r.out.contains("changed/victim"), "the error does not name the file: " + r.out);
        assertTrue(!r.out.contains("new data"), "read another file's data: " + r.out);
    }
}
