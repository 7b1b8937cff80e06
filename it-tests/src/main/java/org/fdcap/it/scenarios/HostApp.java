package org.fdcap.it.scenarios;

import java.io.File;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host application with its own (older) Byte Buddy, Logback, SLF4J and jnr on its class path,
 * all in use while the agent runs: logs through its Logback (configured by its own logback.xml),
 * generates a class with its Byte Buddy, makes a system call with its jnr-posix, and keeps more
 * files open than the limit allows. Prints which versions it used.
 *
 * <p>Usage: {@code HostApp workDir files}
 */
public final class HostApp {
    private HostApp() {
    }

    public static void main(String[] args) throws Exception {
        Logger log = LoggerFactory.getLogger(HostApp.class);
        log.info("host logging works");
        System.out.println("slf4j: " + jarOf(LoggerFactory.class));
        System.out.println("logback: " + jarOf(LoggerFactory.getILoggerFactory().getClass()));

        Class<?> byteBuddy = Class.forName("net.bytebuddy.ByteBuddy");
        Object bb = byteBuddy.getConstructor().newInstance();
        Object builder = byteBuddy.getMethod("subclass", Class.class).invoke(bb, Object.class);
        Object made = Class.forName("net.bytebuddy.dynamic.DynamicType$Builder").getMethod("make").invoke(builder);
        byte[] bytes = (byte[]) Class.forName("net.bytebuddy.dynamic.DynamicType").getMethod("getBytes").invoke(made);
        System.out.println("byte-buddy: " + jarOf(byteBuddy) + " generated a class: " + (bytes.length > 0));

        Class<?> factory = Class.forName("jnr.posix.POSIXFactory");
        Object posix = factory.getMethod("getPOSIX").invoke(null);
        boolean nativeCalls = (Boolean) Class.forName("jnr.posix.POSIX").getMethod("isNative").invoke(posix);
        int pid = (Integer) Class.forName("jnr.posix.POSIX").getMethod("getpid").invoke(posix);
        System.out.println("jnr-posix: " + jarOf(factory) + " native: " + nativeCalls + " getpid ok: "
                + (pid == ProcessHandle.current().pid()));

        Path dir = Scratch.fresh(args[0]);
        int n = Integer.parseInt(args[1]);
        RandomAccessFile[] files = new RandomAccessFile[n];
        long sum = 0;
        for (int i = 0; i < n; i++) {
            files[i] = new RandomAccessFile(dir.resolve("h" + i).toFile(), "rw");
            files[i].setLength(0);
            files[i].write(("host " + i).getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < n; i++) {
            files[i].seek(0);
            sum += files[i].readLine().length();
            files[i].close();
        }
        log.info("host done");
        System.out.println("files: " + n + " sum: " + sum);
    }

    private static String jarOf(Class<?> c) {
        return new File(c.getProtectionDomain().getCodeSource().getLocation().getPath()).getName();
    }
}
