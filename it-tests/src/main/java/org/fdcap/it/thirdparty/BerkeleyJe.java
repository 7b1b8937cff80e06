package org.fdcap.it.thirdparty;

import com.sleepycat.je.CheckpointConfig;
import com.sleepycat.je.Cursor;
import com.sleepycat.je.Database;
import com.sleepycat.je.DatabaseConfig;
import com.sleepycat.je.DatabaseEntry;
import com.sleepycat.je.Environment;
import com.sleepycat.je.EnvironmentConfig;
import com.sleepycat.je.LockMode;
import com.sleepycat.je.OperationStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * Berkeley DB Java Edition, unmodified: several environments at once, each a log-structured store
 * of numbered {@code .jdb} files of 1 MB (the smallest {@code je.log.fileMax} JE accepts), read
 * through {@code FileManager$DefaultRandomAccessFile} — JE's RandomAccessFile subclass, whose
 * {@code synchronized length()} returns {@code super.length()} (issue 20: the agent's rewriting
 * of that super call overflowed the stack). Its file-handle cache ({@code je.log.fileCacheSize})
 * is raised so that it keeps every file it has read open, and its record cache kept at 1 MB so that
 * reads go to the files. Records are written, rewritten twice and a third of them deleted
 * (round-robin over the environments), so that the cleaner has most of the log to clean: it reads
 * the old files, migrates what is live, and the checkpoint deletes the files it cleaned, hundreds
 * in a run, most of them files the handle cache had open. Then every record of every environment
 * is read, by a cursor scan and by seeded point reads, which opens every file left.
 *
 * <p>Settings: no statistics files, no file logging and no scheduled verifier (files and threads
 * the test is not about); {@code je.freeDisk} 0, so that a full build machine does not make JE
 * refuse writes. Prints per environment the record count and CRCs of the scan and of the point
 * reads; stderr gets how many {@code .jdb} files the environments wrote, how many are left, and
 * how many descriptors the process had open once everything was read.
 *
 * <p>Usage: {@code BerkeleyJe dir environments recordsPerEnvironment}
 */
public final class BerkeleyJe {
    private static final int REWRITES = 2;

    private BerkeleyJe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]).toAbsolutePath());
        int environments = Integer.parseInt(args[1]);
        int records = Integer.parseInt(args[2]);
        List<Environment> envs = new ArrayList<>();
        List<Database> dbs = new ArrayList<>();
        for (int e = 0; e < environments; e++) {
            Environment env = new Environment(Files.createDirectories(dir.resolve("env" + e)).toFile(), config());
            DatabaseConfig dc = new DatabaseConfig();
            dc.setAllowCreate(true);
            envs.add(env);
            dbs.add(env.openDatabase(null, "records", dc));
        }
        for (int version = 0; version <= REWRITES; version++) {
            for (int r = 0; r < records; r++) {
                for (int e = 0; e < environments; e++) {
                    dbs.get(e).put(null, key(r), value(e, r, version));
                }
            }
        }
        for (int r = 0; r < records; r += 3) {
            for (int e = 0; e < environments; e++) {
                dbs.get(e).delete(null, key(r));
            }
        }
        int cleaned = 0;
        for (Environment env : envs) {
            // The cleaner thread works meanwhile; cleanLog() makes sure the work is done before
            // the reads, and the forced checkpoint deletes the files it cleaned.
            for (int n = env.cleanLog(); n > 0; n = env.cleanLog()) {
                cleaned += n;
            }
            env.checkpoint(new CheckpointConfig().setForce(true));
        }
        for (int e = 0; e < environments; e++) {
            System.out.println("env " + e + " " + scan(dbs.get(e)) + " " + pointReads(dbs.get(e), records));
        }
        String open = descriptors();
        long written = 0;
        long left = 0;
        for (int e = 0; e < environments; e++) {
            long[] numbers = fileNumbers(dir.resolve("env" + e));
            written += numbers.length == 0 ? 0 : numbers[numbers.length - 1] + 1;
            left += numbers.length;
        }
        for (int e = 0; e < environments; e++) {
            dbs.get(e).close();
            envs.get(e).close();
        }
        System.err.println("je environments: " + environments + ", .jdb files written: " + written
                + ", deleted by the cleaner: " + (written - left) + " (" + cleaned + " of them by the last cleanLog()"
                + " calls), left: " + left + ", descriptors open after the reads: " + open);
        System.out.println("done");
    }

    private static EnvironmentConfig config() {
        EnvironmentConfig c = new EnvironmentConfig();
        c.setAllowCreate(true);
        c.setCacheSize(1 << 20);
        c.setConfigParam(EnvironmentConfig.LOG_FILE_MAX, "1000000");
        c.setConfigParam(EnvironmentConfig.LOG_FILE_CACHE_SIZE, "100000");
        c.setConfigParam(EnvironmentConfig.STATS_COLLECT, "false");
        c.setConfigParam(EnvironmentConfig.FILE_LOGGING_LEVEL, "OFF");
        c.setConfigParam(EnvironmentConfig.ENV_RUN_VERIFIER, "false");
        c.setConfigParam(EnvironmentConfig.FREE_DISK, "0");
        return c;
    }

    /** Every record in key order: the count and a CRC of keys and values. */
    private static String scan(Database db) {
        CRC32 crc = new CRC32();
        int count = 0;
        DatabaseEntry k = new DatabaseEntry();
        DatabaseEntry v = new DatabaseEntry();
        try (Cursor c = db.openCursor(null, null)) {
            while (c.getNext(k, v, LockMode.DEFAULT) == OperationStatus.SUCCESS) {
                crc.update(k.getData(), k.getOffset(), k.getSize());
                crc.update(v.getData(), v.getOffset(), v.getSize());
                count++;
            }
        }
        return "records " + count + " scan " + crc.getValue();
    }

    /** Seeded point reads, deleted keys included. */
    private static String pointReads(Database db, int records) {
        Random r = new Random(records);
        CRC32 crc = new CRC32();
        DatabaseEntry v = new DatabaseEntry();
        for (int i = 0; i < records; i++) {
            OperationStatus s = db.get(null, key(r.nextInt(records)), v, LockMode.DEFAULT);
            crc.update(s.name().getBytes(StandardCharsets.US_ASCII));
            if (s == OperationStatus.SUCCESS) {
                crc.update(v.getData(), v.getOffset(), v.getSize());
            }
        }
        return "gets " + crc.getValue();
    }

    private static DatabaseEntry key(int r) {
        // big-endian, so that the B-tree's byte order is the numbers' order
        return new DatabaseEntry(ByteBuffer.allocate(4).putInt(r).array());
    }

    /**
     * 4 to 12 KB, different in every environment, record and version: documents rather than rows,
     * so that hundreds of 1 MB files take tens of thousands of writes, not hundreds of thousands.
     */
    private static DatabaseEntry value(int env, int r, int version) {
        SplittableRandom seeded = new SplittableRandom(((long) env << 40) ^ ((long) r << 8) ^ version);
        byte[] b = new byte[4_000 + seeded.nextInt(8_000)];
        seeded.nextBytes(b);
        return new DatabaseEntry(b);
    }

    /** The numbers of the .jdb files in {@code home}, in order (JE numbers them in hexadecimal from 0). */
    private static long[] fileNumbers(Path home) throws Exception {
        try (Stream<Path> files = Files.list(home)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jdb"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 4), 16)).sorted().toArray();
        }
    }

    /**
     * The process's open descriptors, from {@code /proc/self/fd}; listing it takes one more, which
     * a process at its RLIMIT_NOFILE does not have (then says so rather than failing the run).
     */
    private static String descriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return Long.toString(fds.count() - 1);
        } catch (IOException e) {
            return "none left to count them (" + e.getMessage() + ")";
        }
    }
}
