package org.fdcap.it.thirdparty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * Apache Derby (embedded), unmodified: a database of many tables, each with an index — a
 * RandomAccessFile per table and per index, synced through {@code getFD().sync()} at every
 * checkpoint, plus the transaction log. Its file cache is raised
 * ({@code derby.storage.fileCacheSize}) so that it keeps them all open, then every table is
 * written, checkpointed and queried round-robin. Prints a CRC of every query result; stderr gets
 * how many files the database has.
 *
 * <p>Usage: {@code DerbyTables dir tables rowsPerTable}
 */
public final class DerbyTables {
    private DerbyTables() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]).toAbsolutePath());
        int tables = Integer.parseInt(args[1]);
        int rows = Integer.parseInt(args[2]);
        System.setProperty("derby.system.home", dir.toString());
        System.setProperty("derby.storage.fileCacheSize", Integer.toString(4 * tables));
        System.setProperty("derby.stream.error.file", dir.resolve("derby.log").toString());
        String url = "jdbc:derby:" + dir.resolve("db") + ";create=true";
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (int t = 0; t < tables; t++) {
                    s.executeUpdate("CREATE TABLE t" + t + " (id INT PRIMARY KEY, v VARCHAR(100), n BIGINT)");
                    s.executeUpdate("CREATE INDEX t" + t + "_n ON t" + t + " (n)");
                }
            }
            c.commit();
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < tables; t++) {
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO t" + t + " VALUES (?, ?, ?)")) {
                        p.setInt(1, r);
                        p.setString(2, "table " + t + " row " + r);
                        p.setLong(3, (long) r * 7919 % 1000 + t);
                        p.executeUpdate();
                    }
                }
                c.commit();
                if (r % 5 == 4) {
                    try (Statement s = c.createStatement()) {
                        s.execute("CALL SYSCS_UTIL.SYSCS_CHECKPOINT_DATABASE()");
                    }
                }
            }
            for (int round = 0; round < 3; round++) {
                CRC32 crc = new CRC32();
                for (int t = 0; t < tables; t++) {
                    try (PreparedStatement p = c.prepareStatement(
                            "SELECT id, v, n FROM t" + t + " WHERE n >= ? ORDER BY n, id")) {
                        p.setLong(1, 200 * round);
                        try (ResultSet rs = p.executeQuery()) {
                            while (rs.next()) {
                                crc.update((rs.getInt(1) + rs.getString(2) + rs.getLong(3))
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                            }
                        }
                    }
                    try (Statement s = c.createStatement()) {
                        s.executeUpdate("UPDATE t" + t + " SET n = n + 1 WHERE id = " + round);
                    }
                }
                c.commit();
                System.out.println("round " + round + " crc " + crc.getValue());
            }
        }
        try {
            DriverManager.getConnection("jdbc:derby:;shutdown=true");
        } catch (SQLException expected) {
            // Derby reports a clean shutdown as an exception (XJ015)
        }
        try (Stream<Path> files = Files.walk(dir.resolve("db"))) {
            System.err.println("derby files: " + files.filter(Files::isRegularFile).count());
        }
        System.out.println("done");
    }
}
