package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The jar's root holds only the premain class and the dependency-free bridge; everything else is
 * hidden under inst/ as .classdata, where no class loader of the host looks.
 */
class AgentJarLayoutIT {
    @Test
    void onlyThePremainClassAndTheBridgeAreVisibleAtTheRoot() throws Exception {
        try (JarFile jar = new JarFile(ChildJvm.AGENT.toFile())) {
            for (JarEntry e : Collections.list(jar.entries())) {
                String n = e.getName();
                boolean allowed = n.startsWith("inst/") || n.startsWith("META-INF/")
                        || n.equals("org/") || n.equals("org/fdcap/") || n.equals("org/fdcap/agent/")
                        || n.equals("org/fdcap/agent/Premain.class") || n.startsWith("org/fdcap/agent/bootstrap/");
                assertTrue(allowed, "unexpected entry at the jar's root: " + n);
                if (n.startsWith("inst/")) {
                    assertTrue(!n.endsWith(".class"), "a loadable class under inst/: " + n);
                }
            }
            assertNotNull(jar.getEntry("inst/net/bytebuddy/ByteBuddy.classdata"));
            assertNotNull(jar.getEntry("inst/org/fdcap/core/FdTracker.classdata"));
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("org.fdcap.agent.Premain", main.getValue("Premain-Class"));
            assertEquals("org.fdcap.agent.Premain", main.getValue("Agent-Class"));
            // java -jar fdcap-agent.jar: the command line (attach, status) runs from inst/ too.
            assertEquals("org.fdcap.agent.Premain", main.getValue("Main-Class"));
            assertNotNull(jar.getEntry("inst/org/fdcap/agent/ops/Cli.classdata"));
            assertEquals("true", main.getValue("Can-Retransform-Classes"));
            assertEquals("true", main.getValue("Can-Redefine-Classes"));
        }
    }

    /**
     * jffi's native stubs for Linux only, the one OS the agent runs on, and no other native
     * library anywhere (jffi's jar has 24 stubs for eight systems, one of them in {@code jni/Darwin/}).
     */
    @Test
    void theOnlyNativeLibrariesAreJffisStubsForLinux() throws Exception {
        Set<String> stubs = new TreeSet<>();
        for (String n : names()) {
            if (n.endsWith("/")) {
                continue;
            }
            if (n.startsWith("inst/jni/")) {
                Matcher m = Pattern.compile("inst/jni/([^/]+)-Linux/libjffi-[0-9.]+\\.so").matcher(n);
                assertTrue(m.matches(), "not a Linux stub of jffi: " + n);
                stubs.add(m.group(1));
            } else {
                assertFalse(n.matches(".*\\.(so|dll|dylib|jnilib|a)(\\.[0-9.]+)?"), "a native library: " + n);
            }
        }
        assertTrue(stubs.containsAll(Set.of("x86_64", "aarch64")), "stubs: " + stubs);
        assertFalse(stubs.contains("sparcv9"), "no JDK since 15 runs on Linux/SPARC: " + stubs);
    }

    private static List<String> names() throws IOException {
        try (JarFile jar = new JarFile(ChildJvm.AGENT.toFile())) {
            return jar.stream().map(JarEntry::getName).collect(Collectors.toList());
        }
    }
}
