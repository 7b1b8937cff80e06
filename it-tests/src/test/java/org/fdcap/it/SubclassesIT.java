package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fdcap.it.scenarios.Subclasses;
import org.junit.jupiter.api.Test;

/**
 * RandomAccessFile subclasses ({@link Subclasses}): 300 of them open at once under a cap of 32,
 * each overriding the descriptor-using methods in its own way (calling {@code super} once, twice,
 * never, from a constructor, from two levels of overrides, around a read buffer of its own), used
 * through every kind of call site the agent rewrites. The output is byte for byte the output of an
 * uncapped run without the agent, every file suspended and restored between the program's calls.
 *
 * <p>The last three tests are the shapes the first fix of issue 20 missed (a super call naming a
 * middle class, a call through an interface, a bound method reference on a subclass type); each
 * runs alone, so that a failure names the shape.
 */
class SubclassesIT {
    private static final String COVERED =
            "full,closes-twice,measures-in-constructor,own-bookkeeping,two-level,buffered";
    private static final int CAP = 32;

    @Test
    void everySubclassShapeGivesTheUncappedOutputWhileItsFilesAreSuspendedAndRestored() throws Exception {
        proveSameOutput("subclasses", COVERED, 50, 6);
    }

    @Test
    void aSuperCallNamingAMiddleClassThatDoesNotOverrideTheNativeRestoresTheFile() throws Exception {
        proveSameOutput("subclasses-deep-super", "deep-super", 100, 3);
    }

    @Test
    void aCallThroughAnInterfaceThatRandomAccessFilesNativeImplementsRestoresTheFile() throws Exception {
        proveSameOutput("subclasses-interface-call", "interface-call", 100, 3);
    }

    @Test
    void aBoundMethodReferenceOnASubclassTypeThatDoesNotOverrideTheNativeLinksAndRestoresTheFile()
            throws Exception {
        proveSameOutput("subclasses-bound-reference", "bound-reference", 100, 3);
    }

    /** {@code perShape} files of each shape, used {@code rounds} times each, round-robin. */
    private static void proveSameOutput(String dir, String shapes, int perShape, int rounds) throws Exception {
        ChildJvm.Result reference = subclasses(dir + "-reference", shapes, perShape, rounds).unlimited().run();
        assertEquals(0, reference.exit, reference::toString);
        assertTrue(reference.out.endsWith("done\n"), reference::toString);

        ChildJvm.Result r = subclasses(dir + "-capped", shapes, perShape, rounds).limit(256).withAgent("max=" + CAP)
                .run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        // Far more files than the cap, visited round-robin: each visit finds its file suspended, and
        // all but a few (a seek only moves a suspended file's offset; some overrides answer from
        // fields or buffers of their own) restore it.
        long visits = (long) perShape * shapes.split(",").length * rounds;
        assertTrue(r.suspensions() > visits / 2 && r.restores() > visits / 2, r::toString);
        assertEquals(0, r.errors(), r::toString);
        assertTrue(r.maxFds <= CAP, r::toString);
        assertEquals("", r.errWithoutStats());
        System.out.println("subclasses " + shapes + ": " + r.maxFds + " descriptors at most, " + r.suspensions()
                + " suspensions, " + r.restores() + " restores");
    }

    private static ChildJvm subclasses(String dir, String shapes, int perShape, int rounds) {
        return ChildJvm.of(Subclasses.class, dir, Integer.toString(perShape), Integer.toString(rounds), shapes);
    }
}
