package org.fdcap.agent;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.security.CodeSource;
import java.util.jar.JarFile;

/**
 * The agent's entry point ({@code Premain-Class}, {@code Agent-Class} and {@code Main-Class}), loaded by the system
 * class loader from the root of {@code fdcap-agent.jar}.
 *
 * <p>It does as little as possible: appends the agent jar to the bootstrap class path (so the
 * bridge in {@code org.fdcap.agent.bootstrap} is visible to the JDK classes it instruments),
 * creates the agent's isolated class loader over {@code inst/}, and hands over to
 * {@code org.fdcap.agent.startup.Installer} in that loader, saying whether the JVM was started
 * with the agent ({@code premain}) or the agent is attached to it ({@code agentmain}). It keeps
 * no state and never throws: whatever goes wrong, the host program runs as it would without the
 * agent.
 */
public final class Premain {
    private static final String LOADER = "org.fdcap.agent.bootstrap.AgentClassLoader";
    private static final String BRIDGE = "org.fdcap.agent.bootstrap.FdBridge";
    private static final String INSTALLER = "org.fdcap.agent.startup.Installer";
    private static final String CLI = "org.fdcap.agent.cli.Cli";

    private Premain() {
    }

    /** Called by the JVM for {@code -javaagent:fdcap-agent.jar[=options]}. */
    public static void premain(String args, Instrumentation inst) {
        start(args, inst, false);
    }

    /** Called by the JVM when the agent is attached to a running JVM. */
    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst, true);
    }

    /**
     * {@code java -jar fdcap-agent.jar ...}: the command line (attach, status, usage), run by
     * {@code org.fdcap.agent.cli.Cli} from the agent's own class loader.
     */
    public static void main(String[] args) throws Exception {
        File jar = ownJar();
        ClassLoader cli = (ClassLoader) Class.forName(LOADER, true, Premain.class.getClassLoader())
                .getConstructor(File.class, ClassLoader.class)
                .newInstance(jar, Premain.class.getClassLoader());
        Class.forName(CLI, true, cli).getMethod("run", File.class, String[].class).invoke(null, jar, args);
    }

    private static void start(String args, Instrumentation inst, boolean attached) {
        try {
            File jar = ownJar();
            JarFile jarFile = new JarFile(jar, false);
            if (jarFile.getManifest() == null
                    || jarFile.getManifest().getMainAttributes().getValue("Premain-Class") == null) {
                // Our classes were repackaged into some other jar: refuse to put it on the boot path.
                System.err.println("fdcap: " + jar + " is not the fdcap agent jar; running without fdcap");
                return;
            }
            if (!bridgeOnBootPath(jar)) {
                inst.appendToBootstrapClassLoaderSearch(jarFile);
            }
            // Method handles called exactly, not reflection: on JDK 18+ a reflective call is run
            // through method handles adapted to Object[] (JEP 416), about 30 ms of classes spun
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            ClassLoader agentLoader = (ClassLoader) lookup.findConstructor(Class.forName(LOADER, true, null),
                    MethodType.methodType(void.class, File.class))
                    .asType(MethodType.methodType(ClassLoader.class, File.class))
                    .invokeExact(jar);
            MethodHandle install = lookup.findStatic(Class.forName(INSTALLER, true, agentLoader), "install",
                    MethodType.methodType(void.class, String.class, Instrumentation.class, File.class, boolean.class));
            install.invokeExact(args, inst, jar, attached);
        } catch (Throwable t) {
            Throwable cause = t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null
                    ? t.getCause() : t;
            System.err.println("fdcap: the agent could not start (" + cause + "); running without fdcap");
        }
    }

    /**
     * The jar this class was loaded from. With the manifest's {@code Boot-Class-Path} in effect
     * this class comes from the boot loader (no code source), so ask for its resource instead.
     */
    private static File ownJar() throws URISyntaxException {
        URL url = ClassLoader.getSystemResource(Premain.class.getName().replace('.', '/') + ".class");
        if (url != null && url.getProtocol().equals("jar")) {
            String spec = url.getPath();
            return new File(new URI(spec.substring(0, spec.indexOf("!/"))));
        }
        CodeSource source = Premain.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IllegalStateException("cannot locate the agent jar");
        }
        return new File(source.getLocation().toURI());
    }

    /** Whether the JVM already appended {@code jar} (the manifest's Boot-Class-Path). */
    private static boolean bridgeOnBootPath(File jar) {
        URL url = ClassLoader.getSystemResource(BRIDGE.replace('.', '/') + ".class");
        try {
            return url != null && Class.forName(BRIDGE, false, null) != null
                    && url.getProtocol().equals("jar") && url.getPath().startsWith(jar.toURI().toString() + "!/");
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
