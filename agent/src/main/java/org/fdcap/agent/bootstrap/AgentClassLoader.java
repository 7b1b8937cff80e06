package org.fdcap.agent.bootstrap;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The agent's own class loader: serves the classes and resources stored under {@code inst/} in
 * the agent jar ({@code inst/a/B.classdata} for class {@code a.B}), so that Byte Buddy, Logback,
 * SLF4J, jnr and the agent code never meet the host application's copies of them. Its parent is
 * the bootstrap loader: the agent sees the JDK and the bridge, nothing of the application.
 *
 * <p>Multi-release aware (Byte Buddy keeps Java 9 and Java 24 variants under
 * {@code META-INF/versions/N/}); resources are {@code jar:} URLs into the agent jar, and
 * {@code getResource("a/B.class")} returns the {@code .classdata} entry, which is how Byte Buddy
 * reads the bytes of advice classes.
 */
public final class AgentClassLoader extends ClassLoader {
    private static final String PREFIX = "inst/";
    private static final String VERSIONS = "META-INF/versions/";

    static {
        registerAsParallelCapable();
    }

    private final JarFile jar;
    private final String jarUrl;
    private final ProtectionDomain domain;
    /** The multi-release versions present in the jar that apply to this JVM, highest first. */
    private final int[] versions;

    /** Opens {@code agentJar} (sharing the JDK's cached descriptor for it) without verification. */
    public AgentClassLoader(File agentJar) throws IOException {
        this(agentJar, null);
    }

    /**
     * The same with another parent: the command line ({@code java -jar fdcap-agent.jar}) needs
     * the system class loader's view, which alone sees {@code jdk.attach}.
     */
    public AgentClassLoader(File agentJar, ClassLoader parent) throws IOException {
        super("fdcap", parent);
        this.jar = new JarFile(agentJar, false);
        URL url = agentJar.toURI().toURL();
        this.jarUrl = "jar:" + url.toExternalForm() + "!/";
        this.domain = new ProtectionDomain(new CodeSource(url, (Certificate[]) null), null, this, null);
        int feature = Runtime.version().feature();
        int[] found = new int[Math.max(0, feature - 8)];
        int n = 0;
        for (int v = feature; v >= 9; v--) {
            if (jar.getJarEntry(PREFIX + VERSIONS + v + "/") != null) {
                found[n++] = v;
            }
        }
        this.versions = java.util.Arrays.copyOf(found, n);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        JarEntry entry = entry(name.replace('.', '/') + ".class");
        if (entry == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes;
        try (InputStream in = jar.getInputStream(entry)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            String pkg = name.substring(0, dot);
            if (getDefinedPackage(pkg) == null) {
                try {
                    definePackage(pkg, null, null, null, null, null, null, null);
                } catch (IllegalArgumentException raced) {
                    // defined by another thread meanwhile
                }
            }
        }
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    @Override
    protected URL findResource(String name) {
        JarEntry entry = entry(name);
        if (entry == null) {
            return null;
        }
        try {
            return new URL(jarUrl + entry.getName());
        } catch (MalformedURLException e) {
            return null;
        }
    }

    /** Resources of the agent's named module (jffi, see NativeAccess) are the jar's, as for the rest. */
    @Override
    protected URL findResource(String moduleName, String name) throws IOException {
        return findResource(name);
    }

    @Override
    protected Class<?> findClass(String moduleName, String name) {
        try {
            return loadClass(name);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.<URL>emptyEnumeration() : Collections.enumeration(Collections.singletonList(url));
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        // Straight from the jar: no URL connection, no second JarFile.
        JarEntry entry = entry(name);
        if (entry == null) {
            return super.getResourceAsStream(name);
        }
        try {
            return jar.getInputStream(entry);
        } catch (IOException e) {
            return null;
        }
    }

    /** The entry for a resource name, the highest applicable multi-release variant first. */
    private JarEntry entry(String name) {
        if (name.startsWith("/")) {
            name = name.substring(1);
        }
        String stored = name.endsWith(".class") ? name + "data" : name;
        if (!name.startsWith(VERSIONS)) {
            for (int v : versions) {
                JarEntry e = jar.getJarEntry(PREFIX + VERSIONS + v + "/" + stored);
                if (e != null) {
                    return e;
                }
            }
        }
        return jar.getJarEntry(PREFIX + stored);
    }
}
