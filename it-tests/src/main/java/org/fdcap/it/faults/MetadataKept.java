package org.fdcap.it.faults;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.TreeMap;

/**
 * Suspension must not touch a file's metadata: files with a distinctive mode (0640 or 0604), an
 * old modification time and (when run as root) another owner are opened read-write and
 * read-only, read over and over so that the agent suspends and restores them many times, and
 * closed. Prints each file's mode, owner, group, mtime and ctime before and after; read-only use
 * changes none of them (atime aside). Also lists the directory, which must hold nothing new.
 *
 * <p>Usage: {@code MetadataKept dir files owner}  ({@code owner}: a uid to chown to, or -1)
 */
public final class MetadataKept {
    private MetadataKept() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        int n = Integer.parseInt(args[1]);
        int owner = Integer.parseInt(args[2]);
        Path[] paths = new Path[n];
        for (int i = 0; i < n; i++) {
            paths[i] = dir.resolve("m" + i);
            Files.write(paths[i], new byte[] {(byte) i, 2, 3, 4});
            Files.setAttribute(paths[i], "unix:mode", i % 2 == 0 ? 0640 : 0604);
            if (owner >= 0) {
                Files.setAttribute(paths[i], "unix:uid", owner);
                Files.setAttribute(paths[i], "unix:gid", owner);
            }
            Files.setLastModifiedTime(paths[i], FileTime.fromMillis(1_000_000_000_000L + i * 1000L));
        }
        Thread.sleep(20); // a ctime changed by the agent would now differ
        Map<String, String> before = metadata(paths);
        Object[] handles = new Object[n];
        for (int i = 0; i < n; i++) {
            handles[i] = i % 2 == 0 ? new RandomAccessFile(paths[i].toFile(), i % 4 == 0 ? "rw" : "r")
                    : FileChannel.open(paths[i], StandardOpenOption.READ);
        }
        long sum = 0;
        for (int round = 0; round < 5; round++) {
            for (Object h : handles) {
                if (h instanceof RandomAccessFile) {
                    RandomAccessFile raf = (RandomAccessFile) h;
                    raf.seek(round % 4);
                    sum += raf.read() + raf.length();
                } else {
                    ByteBuffer b = ByteBuffer.allocate(1);
                    ((FileChannel) h).read(b, round % 4);
                    sum += b.get(0) + ((FileChannel) h).size();
                }
            }
        }
        for (Object h : handles) {
            ((java.io.Closeable) h).close();
        }
        Map<String, String> after = metadata(paths);
        System.out.println("sum " + sum);
        for (String k : before.keySet()) {
            String same = before.get(k).equals(after.get(k)) ? "unchanged" : "CHANGED from " + before.get(k);
            System.out.println(k + " " + after.get(k) + " " + same);
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            System.out.println("entries " + s.count());
        }
    }

    private static Map<String, String> metadata(Path[] paths) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (Path p : paths) {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime,ctime",
                    LinkOption.NOFOLLOW_LINKS);
            m.put(p.getFileName().toString(), String.format("mode=%o uid=%s gid=%s mtime=%s ctime=%s",
                    a.get("mode"), a.get("uid"), a.get("gid"), a.get("lastModifiedTime"), a.get("ctime")));
        }
        return m;
    }
}
