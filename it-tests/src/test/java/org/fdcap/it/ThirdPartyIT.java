package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fdcap.it.thirdparty.BerkeleyJe;
import org.fdcap.it.thirdparty.DerbyTables;
import org.fdcap.it.thirdparty.H2SplitDatabases;
import org.fdcap.it.thirdparty.LogbackFileAppenders;
import org.fdcap.it.thirdparty.LuceneReadersUnderMerges;
import org.fdcap.it.thirdparty.LuceneSearch;
import org.fdcap.it.thirdparty.ZipArchives;
import org.junit.jupiter.api.Test;

/**
 * Real, unmodified libraries from Maven Central whose descriptor use is heavy and different in
 * kind, each run under the agent with an RLIMIT_NOFILE far below what it needs: the output is
 * the output of an uncapped run without the agent, and without the agent the same limit kills it
 * (or, for Logback, which only records an error, loses the logs of most appenders).
 */
class ThirdPartyIT {
    private static final Path LIBS = Path.of(System.getProperty("fdcap.it.thirdParty", "target/third-party"));

    @Test
    void luceneSearchesAnIndexOfThousandsOfSegmentFilesThroughNioFsDirectory() throws Exception {
        prove(LuceneSearch.class, 128, "150", "20");
    }

    @Test
    void commonsCompressReadsAThousandZipArchivesOpenAtOnce() throws Exception {
        prove(ZipArchives.class, 128, "1000", "5");
    }

    @Test
    void derbyKeepsEveryTableFileOpenAndSyncsThemThroughGetFd() throws Exception {
        prove(DerbyTables.class, 128, "60", "10");
    }

    @Test
    void h2WritesAndQueriesDatabasesStripedOverHundredsOfPartFiles() throws Exception {
        prove(H2SplitDatabases.class, 128, "4", "5000");
    }

    /**
     * Point-in-time readers kept on every commit while merges delete the segment files the older
     * ones hold: hundreds of deleted files open at once, more than the cap. With the unlinked-file
     * pool they cost no descriptor. Without it each costs one (an anchor) up to half the capacity;
     * beyond, deletes fail and Lucene retries them later, as it does for any failed delete, while
     * the files it could not delete are still reopened by name: the same output either way.
     */
    @Test
    void luceneReadersHoldSegmentFilesThatMergesDeleteWithAndWithoutTheUnlinkedFilePool() throws Exception {
        Path pool = FaultsIT.fresh("LuceneReadersUnderMerges-pool");
        Files.delete(pool);
        proveWithAgent(LuceneReadersUnderMerges.class, 256, "unlinked.dir=" + pool, "40", "100");
        assertFalse(Files.exists(pool), "the pool is removed with its last file");

        ChildJvm.Result reference = child(LuceneReadersUnderMerges.class, "LuceneReadersUnderMerges-reference", "40",
                "100").unlimited().timeout(300).run();
        ChildJvm.Result anchored = child(LuceneReadersUnderMerges.class, "LuceneReadersUnderMerges-anchors", "40",
                "100").limit(256).withAgent().timeout(300).run();
        assertEquals(0, anchored.exit, anchored::toString);
        assertEquals(reference.out, anchored.out, "without the pool: output differs from the uncapped run");
        assertTrue(anchored.maxFds <= 256, anchored::toString);
        assertEquals(0, anchored.errors(), anchored::toString);
        System.out.println("proven: LuceneReadersUnderMerges without the pool, limit 256: under the agent "
                + anchored.maxFds + " descriptors, " + anchored.suspensions() + " suspensions");
    }

    /**
     * JE's 8 environments open 32 descriptors the agent does not manage after it starts (each a
     * logging FileOutputStream, and an inotify instance and a socket pair for its file-deletion
     * watcher), twice the default reserve: with it the process would run at its RLIMIT, where the
     * agent retries its own opens but an unmanaged one (a directory listing) fails.
     */
    @Test
    void berkeleyJeReadsAndCleansHundredsOfLogFilesThroughItsOwnRandomAccessFileSubclass() throws Exception {
        proveWithAgent(BerkeleyJe.class, 128, "reserve=48", "8", "1000");
    }

    /**
     * A FileOutputStream per appender, kept open from start to stop: without the agent Logback
     * starts the first appenders the limit allows, records an error for each of the others and
     * drops their events.
     */
    @Test
    void logbackLogsThroughThreeThousandFileAppendersEachKeepingItsFileOpen() throws Exception {
        prove(LogbackFileAppenders.class, 256, "3000", "10");
    }

    private static void prove(Class<?> main, int limit, String... args) throws Exception {
        proveWithAgent(main, limit, null, args);
    }

    /** {@code agentArgs}: the agent's arguments, or null for its defaults. */
    private static void proveWithAgent(Class<?> main, int limit, String agentArgs, String... args) throws Exception {
        String name = main.getSimpleName();
        long start = System.nanoTime();
        ChildJvm.Result reference = child(main, name + "-reference", args).unlimited().timeout(300).run();
        long referenceNanos = System.nanoTime() - start;
        assertEquals(0, reference.exit, reference::toString);

        ChildJvm child = child(main, name + "-capped", args).limit(limit).timeout(300);
        start = System.nanoTime();
        ChildJvm.Result capped = (agentArgs == null ? child.withAgent() : child.withAgent(agentArgs)).run();
        long cappedNanos = System.nanoTime() - start;
        ChildJvm.Result without = child(main, name + "-without", args).limit(limit).timeout(300).run();

        assertEquals(0, capped.exit, capped::toString);
        assertEquals(reference.out, capped.out, name + ": output differs from the uncapped run");
        assertTrue(capped.suspensions() > 0, capped::toString);
        assertTrue(capped.maxFds <= limit, capped::toString);
        assertNotEquals(reference.out, without.out + without.exit, name + " did not need more than " + limit
                + " descriptors: " + without);
        // For docs/proof.md: what each program needed, and what it got.
        System.out.println("proven: " + name + " limit " + limit + "; without a cap it held up to "
                + reference.maxFds + " descriptors; " + firstLine(reference.err) + "; under the agent: "
                + capped.maxFds + " descriptors, " + capped.suspensions() + " suspensions; "
                + String.format("%.1f s uncapped, %.1f s under the agent", referenceNanos / 1e9, cappedNanos / 1e9));
    }

    private static ChildJvm child(Class<?> main, String dir, String... args) throws IOException {
        String[] all = new String[args.length + 1];
        all[0] = FaultsIT.fresh(dir).toString();
        System.arraycopy(args, 0, all, 1, args.length);
        return ChildJvm.of(main, all).classPath(classPath());
    }

    private static String classPath() throws IOException {
        try (Stream<Path> jars = Files.list(LIBS)) {
            return ChildJvm.CLASSES + File.pathSeparator + jars.map(Path::toString).sorted()
                    .collect(Collectors.joining(File.pathSeparator));
        }
    }

    private static String firstLine(String s) {
        return s.lines().filter(l -> !l.startsWith("fdcap:")).findFirst().orElse("");
    }
}
