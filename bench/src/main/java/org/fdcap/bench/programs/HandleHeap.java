package org.fdcap.bench.programs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Opens {@code n} RandomAccessFiles on {@code dir/f0 .. dir/f<n-1>} and keeps them all reachable,
 * then prints the live heap: the total of a class histogram (taken after a full GC, so exactly the
 * live objects), the heap in use after {@code System.gc()}, and the histogram itself.
 *
 * <p>Mode {@code open} keeps every file open (with the agent: tracked, most of them suspended);
 * mode {@code closed} closes each right after opening it, for the reference run without the agent,
 * which cannot hold {@code n} descriptors when {@code n} is above RLIMIT_NOFILE: the same objects
 * stay reachable, less the JDK's cleanup record of an open descriptor.
 */
public final class HandleHeap {
    private HandleHeap() {
    }

    public static void main(String[] args) throws Exception {
        String dir = args[0];
        int n = Integer.parseInt(args[1]);
        boolean close = args[2].equals("closed");
        RandomAccessFile[] files = new RandomAccessFile[n];
        for (int i = 0; i < n; i++) {
            files[i] = new RandomAccessFile(dir + "/f" + i, "r");
            if (close) {
                files[i].close();
            }
        }
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        String histogram = histogram();
        System.out.println("handles " + n);
        System.out.println("heap-used " + used);
        System.out.println("histogram-total " + total(histogram));
        System.out.println("histogram");
        System.out.print(histogram);
        Reference.reachabilityFence(files);
        closeAll(files, close);
    }

    /** The same as {@code jcmd PID GC.class_histogram}: a full GC, then the live objects by class. */
    private static String histogram() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        return (String) server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "gcClassHistogram", new Object[] {new String[0]}, new String[] {String[].class.getName()});
    }

    private static long total(String histogram) {
        for (String line : histogram.split("\n")) {
            String t = line.trim();
            if (t.startsWith("Total")) {
                String[] cols = t.split("\\s+");
                return Long.parseLong(cols[2]);
            }
        }
        throw new IllegalStateException("no Total line in the histogram");
    }

    private static void closeAll(RandomAccessFile[] files, boolean closed) throws IOException {
        if (!closed) {
            for (RandomAccessFile f : files) {
                f.close();
            }
        }
    }
}
