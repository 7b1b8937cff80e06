package org.fdcap.it.scenarios;

import java.io.File;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * One class loader over many jars (each jar is a RandomAccessFile inside the JDK's ZipFile):
 * loads a class and reads a resource from every jar, twice, and prints a checksum.
 *
 * <p>Usage: {@code JarLoader jarDir count}; jar i holds class {@code plugin.P<i>} (its
 * {@code toString()} names it) and resource {@code plugin/r<i>.txt}.
 */
public final class JarLoader {
    private JarLoader() {
    }

    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        int count = Integer.parseInt(args[1]);
        URL[] urls = new URL[count];
        for (int i = 0; i < count; i++) {
            urls[i] = new File(dir, "p" + i + ".jar").toURI().toURL();
        }
        CRC32 crc = new CRC32();
        int loaded = 0;
        try (URLClassLoader loader = new URLClassLoader(urls, JarLoader.class.getClassLoader())) {
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < count; i++) {
                    Object o = Class.forName("plugin.P" + i, true, loader).getConstructor().newInstance();
                    crc.update(o.toString().getBytes(StandardCharsets.US_ASCII));
                    try (InputStream in = loader.getResourceAsStream("plugin/r" + i + ".txt")) {
                        crc.update(in.readAllBytes());
                    }
                    loaded++;
                }
            }
        }
        System.out.println("loaded: " + loaded);
        System.out.printf("checksum: %08x%n", crc.getValue());
    }
}
