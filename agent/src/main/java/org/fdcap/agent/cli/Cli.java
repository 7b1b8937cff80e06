package org.fdcap.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Properties;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.fdcap.agent.config.AgentConfig;
import org.fdcap.agent.config.ConfigException;
import org.fdcap.agent.ops.AgentVersion;
import org.fdcap.agent.ops.Operations;

/**
 * {@code java -jar fdcap-agent.jar}: loads the agent into a running JVM ({@code attach}) and shows
 * the stats of a JVM running it ({@code status}), through the JDK's attach API and the JVM's local
 * JMX connector. Prints usage without arguments.
 *
 * <p>Exit status: 0 done; 1 the target could not be reached or runs no fdcap agent; 2 bad usage
 * (including agent arguments the agent would refuse: checked before the target is touched).
 */
public final class Cli {
    static final String MBEAN = "org.fdcap:type=Tracker";
    /** The attributes {@code status} prints, in order. */
    static final String[] ATTRIBUTES = {"Capacity", "Active", "Open", "Suspended", "Pinned", "Unsuspendable", "Held",
            "Escaped", "Locked", "Deleted", "Anchors", "Uses",
            "Restores", "Suspensions", "Ahead", "Errors", "Overshoots"};
    /** How long the agent may take to start after an attach. */
    private static final long ATTACH_WAIT_MILLIS = 15_000;
    /**
     * How long a running agent may take to register its MBean once JMX is started (it does so
     * while the platform MBean server is created, see MBeanRegistration: this is only a margin).
     */
    private static final long MBEAN_WAIT_MILLIS = 3_000;

    private final File agentJar;
    private final PrintStream out;
    private final PrintStream err;

    private Cli(File agentJar, PrintStream out, PrintStream err) {
        this.agentJar = agentJar;
        this.out = out;
        this.err = err;
    }

    /** Called by {@code Premain.main}; exits the JVM with the command's status. */
    public static void run(File agentJar, String[] args) {
        int status;
        try {
            status = new Cli(agentJar, System.out, System.err).execute(args);
        } catch (Exception e) {
            System.err.println("fdcap: " + e);
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    int execute(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("-h") || args[0].equals("--help")) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        if (command.equals("--version") && args.length == 1) {
            out.println("fdcap " + AgentVersion.of(agentJar));
            return 0;
        }
        if (command.equals("attach") && (args.length == 2 || args.length == 3)) {
            return attach(args[1], args.length == 3 ? args[2] : "");
        }
        if (command.equals("status") && (args.length == 2 || (args.length == 3 && args[2].equals("--files")))) {
            return status(args[1], args.length == 3);
        }
        err.println("fdcap: unknown command or wrong arguments: " + String.join(" ", args));
        usage(err);
        return 2;
    }

    private void usage(PrintStream to) {
        to.println("Usage: java -jar fdcap-agent.jar <command>");
        to.println();
        to.println("  attach <pid> [options]   load the fdcap agent into the running JVM <pid>; options are the");
        to.println("                           agent arguments, e.g. max=200,exclude=/var/log/**");
        to.println("  status <pid> [--files]   print the fdcap stats of JVM <pid> (--files: every managed file");
        to.println("                           and whether it is open, suspended or pinned)");
        to.println("  --version                print the agent's version");
        to.println("  help                     this text");
        to.println();
        to.println("The target must run as the same user. On JDK 21+ it prints a warning when an agent is");
        to.println("loaded dynamically unless it was started with -XX:+EnableDynamicAgentLoading.");
        to.println("Without a command, start the agent with: java -javaagent:fdcap-agent.jar[=options] ...");
    }

    private int attach(String pid, String options) throws Exception {
        if (!validPid(pid)) {
            return 2;
        }
        // Checked here, before the target is touched: there a bad setting would only be a line on
        // its stderr, after its JMX connector was started and the agent jar loaded.
        try {
            AgentConfig.checkArgument(options);
        } catch (ConfigException e) {
            err.println("fdcap: " + e.getMessage() + "; JVM " + pid + " left alone");
            return 2;
        }
        String address = managementAddress(pid);
        if (address == null) {
            return 1;
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName name = new ObjectName(MBEAN);
            if (awaitRegistered(server, name, MBEAN_WAIT_MILLIS)) {
                err.println("fdcap: JVM " + pid + " already runs the fdcap agent");
                out.println(line(pid, server, name));
                return 1;
            }
            VirtualMachine vm = VirtualMachine.attach(pid);
            try {
                vm.loadAgent(agentJar.getAbsolutePath(), options);
            } finally {
                vm.detach();
            }
            if (options.toLowerCase(Locale.ROOT).matches("(^|.*,)\\s*(fdcap\\.)?jmx\\s*=\\s*false\\s*(,.*|$)")) {
                out.println("fdcap: agent loaded into JVM " + pid + " (jmx=false: no status available)");
                return 0;
            }
            if (!awaitRegistered(server, name, ATTACH_WAIT_MILLIS)) {
                err.println("fdcap: the agent was loaded into JVM " + pid + " but did not start; its reason is"
                        + " on that JVM's stderr (or in its fdcap.log.file)");
                return 1;
            }
            out.println("fdcap: agent loaded into JVM " + pid);
            out.println(line(pid, server, name));
            return 0;
        }
    }

    private int status(String pid, boolean files) throws Exception {
        if (!validPid(pid)) {
            return 2;
        }
        // Asked through the attach API alone: a JVM without fdcap is left as it was, with no JMX
        // connector started for nothing.
        Properties agent = agentProperties(pid);
        if (agent == null) {
            return 1;
        }
        String version = agent.getProperty(Operations.VERSION_PROPERTY);
        if (version == null) {
            err.println("fdcap: JVM " + pid + " does not run the fdcap agent");
            return 1;
        }
        if ("false".equals(agent.getProperty(Operations.JMX_PROPERTY))) {
            err.println("fdcap: JVM " + pid + " runs fdcap " + version + " with fdcap.jmx=false: no status to read");
            return 1;
        }
        String address = managementAddress(pid);
        if (address == null) {
            return 1;
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName name = new ObjectName(MBEAN);
            if (!awaitRegistered(server, name, MBEAN_WAIT_MILLIS)) {
                err.println("fdcap: JVM " + pid + " does not run the fdcap agent (no MBean " + MBEAN + ")");
                return 1;
            }
            out.println(line(pid, server, name));
            if (files) {
                out.println(server.invoke(name, "describe", new Object[0], new String[0]));
            }
            return 0;
        }
    }

    private static boolean awaitRegistered(MBeanServerConnection server, ObjectName name, long millis)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!server.isRegistered(name)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** One line: {@code fdcap in JVM 4242: capacity=196 open=196 suspended=1804 ...}. */
    private static String line(String pid, MBeanServerConnection server, ObjectName name) throws Exception {
        StringBuilder sb = new StringBuilder("fdcap in JVM ").append(pid).append(':');
        AttributeList values = server.getAttributes(name, ATTRIBUTES);
        for (Attribute a : values.asList()) {
            sb.append(' ').append(a.getName().toLowerCase(Locale.ROOT)).append('=').append(a.getValue());
        }
        String lastError = (String) server.getAttribute(name, "LastError");
        if (!lastError.isEmpty()) {
            sb.append(" lastError=").append(lastError);
        }
        return sb.toString();
    }

    private boolean validPid(String pid) {
        if (pid.matches("[1-9][0-9]{0,9}")) {
            return true;
        }
        err.println("fdcap: not a process id: " + pid);
        usage(err);
        return false;
    }

    /** The agent properties of JVM {@code pid} (changing nothing there); null after printing why not. */
    private Properties agentProperties(String pid) {
        return withAttached(pid, "read the agent properties of", VirtualMachine::getAgentProperties);
    }

    /** What {@code call} gives while attached to JVM {@code pid}; null after printing why not. */
    private <T> T withAttached(String pid, String what, VmCall<T> call) {
        VirtualMachine vm = attachTo(pid);
        if (vm == null) {
            return null;
        }
        try {
            return call.on(vm);
        } catch (IOException | RuntimeException e) {
            err.println("fdcap: cannot " + what + " JVM " + pid + ": " + e);
            return null;
        } finally {
            detach(vm);
        }
    }

    private interface VmCall<T> {
        T on(VirtualMachine vm) throws IOException;
    }

    /** Attaches to {@code pid}; null after printing why not. */
    private VirtualMachine attachTo(String pid) {
        try {
            return VirtualMachine.attach(pid);
        } catch (Exception e) {
            err.println("fdcap: cannot attach to JVM " + pid + ": " + e.getMessage()
                    + " (is it a running JVM of the same user, and not started with -XX:+DisableAttachMechanism?)");
            return null;
        }
    }

    private static void detach(VirtualMachine vm) {
        try {
            vm.detach();
        } catch (IOException ignored) {
            // detached anyway when this JVM exits
        }
    }

    /** Attaches to {@code pid} and starts (or finds) its local JMX connector; null after printing why not. */
    private String managementAddress(String pid) {
        return withAttached(pid, "start the local JMX connector in", VirtualMachine::startLocalManagementAgent);
    }
}
