package org.fdcap.it.thirdparty;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Apache Commons Compress, unmodified: thousands of zip archives open at once (each a
 * {@code ZipFile} holding a channel from {@code Files.newByteChannel}), their entries read
 * round-robin, as an archive index or a class-path scanner would. Prints a CRC per round of
 * reads; stderr gets how many archives were open.
 *
 * <p>Usage: {@code ZipArchives dir archives entriesPerArchive}
 */
public final class ZipArchives {
    private ZipArchives() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int archives = Integer.parseInt(args[1]);
        int entries = Integer.parseInt(args[2]);
        for (int a = 0; a < archives; a++) {
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(dir.resolve("a" + a + ".zip")))) {
                for (int e = 0; e < entries; e++) {
                    out.putNextEntry(new ZipEntry("dir/entry-" + e + ".txt"));
                    out.write(("archive " + a + " entry " + e + " " + "x".repeat((a * 7 + e) % 300))
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    out.closeEntry();
                }
            }
        }
        List<ZipFile> open = new ArrayList<>();
        for (int a = 0; a < archives; a++) {
            open.add(ZipFile.builder().setPath(dir.resolve("a" + a + ".zip")).get());
        }
        System.err.println("zip archives open: " + open.size());
        for (int round = 0; round < entries; round++) {
            CRC32 crc = new CRC32();
            for (ZipFile zip : open) {
                List<ZipArchiveEntry> list = Collections.list(zip.getEntries());
                ZipArchiveEntry entry = list.get((round * 31) % list.size());
                try (InputStream in = zip.getInputStream(entry)) {
                    crc.update(in.readAllBytes());
                }
            }
            System.out.println("round " + round + " crc " + crc.getValue());
        }
        for (ZipFile zip : open) {
            zip.close();
        }
    }
}
