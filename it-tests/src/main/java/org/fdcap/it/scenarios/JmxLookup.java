package org.fdcap.it.scenarios;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.TreeSet;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A program that opens no file of its own. With {@code lookup}, as its very first action it
 * creates the platform MBean server and looks up fdcap's MBean in it, then prints
 *
 * <pre>
 * registered=true|false
 * mbean: name=value for every number of the MBean, its attribute names lowercased (when registered)
 * threads: the names of the threads whose name mentions fdcap or jmx, comma-separated (listed at the start)
 * </pre>
 *
 * <p>With {@code nothing} it prints the threads line alone, and touches neither JMX nor files.
 *
 * <p>Usage: {@code JmxLookup lookup|nothing}
 */
public final class JmxLookup {
    private JmxLookup() {
    }

    public static void main(String[] args) throws Exception {
        // Listed first: a thread waiting for the server to appear would be there now.
        TreeSet<String> threads = new TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName().toLowerCase(Locale.ROOT);
            if (n.contains("fdcap") || n.contains("jmx")) {
                threads.add(t.getName());
            }
        }
        if (args[0].equals("lookup")) {
            lookup();
        }
        System.out.println("threads: " + String.join(",", threads));
    }

    private static void lookup() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("org.fdcap:type=Tracker");
        boolean registered = server.isRegistered(name);
        System.out.println("registered=" + registered);
        if (registered) {
            StringBuilder sb = new StringBuilder("mbean:");
            for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
                Object value = server.getAttribute(name, a.getName());
                if (value instanceof Number) {
                    sb.append(' ').append(a.getName().toLowerCase(Locale.ROOT)).append('=').append(value);
                }
            }
            System.out.println(sb);
        }
    }
}
