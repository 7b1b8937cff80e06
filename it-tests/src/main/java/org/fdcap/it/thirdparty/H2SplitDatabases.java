package org.fdcap.it.thirdparty;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The H2 Database Engine (embedded SQL over its MVStore), unmodified: several databases open at
 * once, each stored through H2's own {@code split:} file system, which stripes a database file
 * over parts of a fixed size (here {@code split:15:}, 32 KiB), one {@code FileChannel} per part,
 * all kept open by the database. The databases are written (batched inserts, updates, deletes;
 * commits stored and synced, {@code force} on every part) and queried round-robin,
 * closed, reopened (which opens every part again at once) and queried again. Unlike Lucene's
 * segments and Commons Compress's archives, which are written once and then read, this is a
 * read-write store: positional writes and reads at any place of one logical file spread over
 * hundreds of channels, parts opened as the file grows and truncated, closed and deleted as the
 * store shrinks it (hundreds of times in a run), every part forced at each commit, and a file lock
 * held the whole time.
 *
 * <p>Why {@code split:}: MVStore's {@code SingleFileStore} always takes {@code tryLock} on its
 * channel (exclusive, or shared when read-only; {@code FILE_LOCK=NO} drops only the
 * {@code .lock.db} file, not this lock, and no setting turns it off). A POSIX lock dies with any
 * close of the file, so the agent never suspends a locked file's descriptor: hundreds of plain
 * databases would be hundreds of descriptors pinned for good, more than any cap below them.
 * {@code FileSplit.tryLock} locks the first part only, so each database keeps one locked (pinned)
 * descriptor and many unlocked ones that the agent may suspend. H2 never calls {@code getFD()}.
 *
 * <p>Settings: {@code CACHE_SIZE=256} (KiB) so that queries read the files rather than H2's page
 * cache. {@code WRITE_DELAY=0} stores each commit in the committing thread instead of H2's
 * background writer: with the background writer and the small cache, {@code split:} databases
 * failed in most runs without any agent ({@code IllegalArgumentException: newPosition > limit} in
 * {@code Chunk.readBufferForPage}, a chunk read that does not match its metadata), seemingly a race
 * between a chunk write that {@code split:} cuts into several part writes and a read of an evicted
 * page of that chunk. Without the background writer the program is single-threaded and its output
 * deterministic.
 *
 * <p>Prints the row count and CRCs of a full scan and of an index range scan of every database at
 * every round; stderr gets how many files (parts) the databases have.
 *
 * <p>Usage: {@code H2SplitDatabases dir databases rowsPerDatabase}
 */
public final class H2SplitDatabases {
    private static final int ROUNDS = 3;

    private H2SplitDatabases() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]).toAbsolutePath());
        int databases = Integer.parseInt(args[1]);
        int rows = Integer.parseInt(args[2]);
        List<Connection> open = connect(dir, databases);
        for (Connection c : open) {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TABLE t (id INT PRIMARY KEY, n BIGINT, v VARCHAR(400))");
                s.executeUpdate("CREATE INDEX t_n ON t (n)");
            }
        }
        int batch = Math.max(1, rows / 5);
        for (int from = 0; from < rows; from += batch) {
            for (int d = 0; d < databases; d++) {
                Connection c = open.get(d);
                try (PreparedStatement p = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?)")) {
                    for (int r = from; r < Math.min(rows, from + batch); r++) {
                        p.setInt(1, r);
                        p.setLong(2, n(d, r));
                        p.setString(3, value(d, r, 0));
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                c.commit();
            }
        }
        for (int round = 1; round <= ROUNDS; round++) {
            for (int d = 0; d < databases; d++) {
                rewrite(open.get(d), d, rows, round);
                System.out.println("db " + d + " round " + round + " " + query(open.get(d), rows, round));
            }
        }
        close(open);
        try (Stream<Path> files = Files.list(dir)) {
            System.err.println("h2 databases: " + databases + ", database files (parts): "
                    + files.filter(f -> f.getFileName().toString().contains(".mv.db")).count());
        }
        open = connect(dir, databases);
        for (int d = 0; d < databases; d++) {
            System.out.println("db " + d + " reopened " + query(open.get(d), rows, ROUNDS + 1));
        }
        close(open);
    }

    private static List<Connection> connect(Path dir, int databases) throws SQLException {
        List<Connection> open = new ArrayList<>();
        for (int d = 0; d < databases; d++) {
            Connection c = DriverManager.getConnection("jdbc:h2:split:15:" + dir.resolve("db" + d)
                    + ";CACHE_SIZE=256;WRITE_DELAY=0", "sa", "");
            c.setAutoCommit(false);
            open.add(c);
        }
        return open;
    }

    private static void close(List<Connection> open) throws SQLException {
        for (Connection c : open) {
            c.close();
        }
    }

    /** Updates a tenth of the rows (longer values, so pages move), deletes a few, re-inserts them. */
    private static void rewrite(Connection c, int d, int rows, int round) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE t SET v = ?, n = ? WHERE id = ?")) {
            for (int r = round; r < rows; r += 10) {
                update.setString(1, value(d, r, round));
                update.setLong(2, n(d, r + round));
                update.setInt(3, r);
                update.addBatch();
            }
            update.executeBatch();
        }
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM t WHERE id = ?")) {
            for (int r = round * 7; r < rows; r += 97) {
                delete.setInt(1, r);
                delete.addBatch();
            }
            delete.executeBatch();
        }
        c.commit();
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?)")) {
            for (int r = round * 7; r < rows; r += 194) {
                insert.setInt(1, r);
                insert.setLong(2, n(d, r) + round);
                insert.setString(3, value(d, r, -round));
                insert.addBatch();
            }
            insert.executeBatch();
        }
        c.commit();
    }

    /** A CRC of every row in key order, of an index range scan, and the row count. */
    private static String query(Connection c, int rows, int round) throws SQLException {
        CRC32 all = new CRC32();
        int count = 0;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, n, v FROM t ORDER BY id")) {
            while (rs.next()) {
                all.update((rs.getInt(1) + ":" + rs.getLong(2) + ":" + rs.getString(3) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                count++;
            }
        }
        CRC32 range = new CRC32();
        try (PreparedStatement p = c.prepareStatement(
                "SELECT id, v FROM t WHERE n BETWEEN ? AND ? ORDER BY n, id")) {
            p.setLong(1, 1000L * round);
            p.setLong(2, 1000L * round + rows / 4);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    range.update((rs.getInt(1) + ":" + rs.getString(2) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return "rows " + count + " crc " + all.getValue() + " range " + range.getValue();
    }

    private static long n(int d, int r) {
        return (long) r * 7919 % 100_003 + d;
    }

    private static String value(int d, int r, int round) {
        return "db " + d + " row " + r + " round " + round + " "
                + "x".repeat((r * 31 + d + round * 13) % 300);
    }
}
