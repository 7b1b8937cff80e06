package org.fdcap.it;


import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.fdcap.it.scenarios.JnrFromAgentJar;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
            // No empty directory: an empty multi-release one would be searched for every class.
            Set<String> holdingFiles = new TreeSet<>();
            jar.stream().filter(e -> !e.isDirectory()).forEach(e -> {
                for (int i = e.getName().indexOf('/'); i >= 0; i = e.getName().indexOf('/', i + 1)) {
                    holdingFiles.add(e.getName().substring(0, i + 1));
                }
            });
            jar.stream().filter(JarEntry::isDirectory)
                    .forEach(e -> assertTrue(holdingFiles.contains(e.getName()), "an empty directory: " + e.getName()));
            assertNotNull(jar.getEntry("inst/net/bytebuddy/ByteBuddy.classdata"));
            assertNotNull(jar.getEntry("inst/org/fdcap/core/FdTracker.classdata"));
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("org.fdcap.agent.Premain", main.getValue("Premain-Class"));
            assertEquals("org.fdcap.agent.Premain", main.getValue("Agent-Class"));
            // java -jar fdcap-agent.jar: the command line (attach, status) runs from inst/ too.
            assertEquals("org.fdcap.agent.Premain", main.getValue("Main-Class"));
            assertNotNull(jar.getEntry("inst/org/fdcap/agent/cli/Cli.classdata"));
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

    /**
     * One ASM: Byte Buddy's ({@code net.bytebuddy.jar.asm}, shaded into its own jar); jnr-ffi's
     * references to {@code org.objectweb.asm} are relocated onto it, so no class outside Byte
     * Buddy names another, and org.ow2.asm is not shipped.
     */
    @Test
    void oneAsmIsShippedByteBuddysAndNoOtherClassRefersToAnother() throws Exception {
        List<String> readers = new ArrayList<>();
        try (JarFile jar = new JarFile(ChildJvm.AGENT.toFile())) {
            for (JarEntry e : Collections.list(jar.entries())) {
                String n = e.getName();
                assertFalse(n.startsWith("inst/org/objectweb/"), "a second ASM: " + n);
                if (n.endsWith("/ClassReader.classdata") || n.endsWith("/ClassReader.class")) {
                    readers.add(n);
                }
                if (n.endsWith(".classdata") && !n.startsWith("inst/net/bytebuddy/")
                        && !n.startsWith("inst/META-INF/versions/")) {
                    try (InputStream in = jar.getInputStream(e)) {
                        String bytes = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                        assertFalse(bytes.contains("org/objectweb/asm/"), n + " refers to org.objectweb.asm");
                    }
                }
            }
            assertNotNull(jar.getEntry("inst/jnr/ffi/provider/jffi/AsmLibraryLoader.classdata"));
        }
        assertEquals(List.of("inst/net/bytebuddy/jar/asm/ClassReader.classdata"), readers);
    }

    /**
     * jnr (the agent's fallback for system calls) still binds libc from the jar, through classes
     * it generates with Byte Buddy's ASM (its default) and through reflection (as the agent sets it).
     */
    @Test
    void jnrFromTheJarBindsLibcThroughByteBuddysAsmAndThroughReflection() throws Exception {
        Path file = Files.write(FaultsIT.fresh("jnr-from-agent-jar").resolve("five"), "12345".getBytes());
        for (boolean asm : new boolean[] {true, false}) {
            Path log = ChildJvm.WORK.resolve("jnr-from-agent-jar-class-load.txt");
            Files.deleteIfExists(log);
            ChildJvm.Result r = ChildJvm.of(JnrFromAgentJar.class, ChildJvm.AGENT.toString(), file.toString())
                    .classPath(ChildJvm.AGENT + File.pathSeparator + ChildJvm.CLASSES)
                    .jvmArg("-Djnr.ffi.asm.enabled=" + asm).jvmArg("-Xlog:class+load:file=" + log).run();

            assertEquals(0, r.exit, r::toString);
            String[] lines = r.out.split("\n");
            assertEquals("native true", lines[0], r::toString);
            String[] pids = lines[1].split(" ");
            assertEquals(pids[1], pids[2], r::toString);
            assertEquals("size 5", lines[2], r::toString);
            String loaded = Files.readString(log);
            assertEquals(asm, loaded.contains(" jnr.ffi.provider.jffi.AsmLibraryLoader "), "ASM path: " + asm);
        }
    }

    /**
     * The project's licence at {@code META-INF/LICENSE}; each bundled artifact's (listed in
     * {@code META-INF/DEPENDENCIES}) under its own name in {@code META-INF/licenses/}, with the
     * licences and notices the dependencies ship (in inst/ they overwrote one another); and every
     * file those texts point to.
     */
    @Test
    void everyBundledArtifactHasItsOwnLicenceFileAndTheJarHasTheProjects() throws Exception {
        Path projectLicence = ChildJvm.AGENT.getParent().getParent().getParent().resolve("LICENSE");
        try (JarFile jar = new JarFile(ChildJvm.AGENT.toFile())) {
            assertEquals(Files.readString(projectLicence), text(jar, "META-INF/LICENSE"));
            assertTrue(text(jar, "META-INF/LICENSE").contains("Version 2.0, January 2004"));

            List<String> bundled = text(jar, "META-INF/DEPENDENCIES").lines()
                    .filter(l -> l.matches("[^\\s:]+:[^\\s:]+:\\S+")).collect(Collectors.toList());
            assertTrue(bundled.stream().anyMatch(l -> l.startsWith("net.bytebuddy:byte-buddy:"))
                    && bundled.stream().anyMatch(l -> l.startsWith("com.github.jnr:jnr-posix:")), "bundled: " + bundled);
            for (String artifact : bundled) {
                String licence = "META-INF/licenses/" + artifact.split(":")[1] + "-LICENSE";
                assertTrue(text(jar, licence).length() > 100, artifact + ": no " + licence);
            }
            // What the dependencies ship themselves, kept under distinct names.
            for (String shipped : List.of("byte-buddy-LICENSE", "byte-buddy-NOTICE", "byte-buddy-ASM-LICENSE",
                    "slf4j-api-LICENSE")) {
                assertNotNull(jar.getEntry("META-INF/licenses/" + shipped), shipped);
            }
            for (JarEntry e : Collections.list(jar.entries())) {
                String n = e.getName();
                assertFalse(n.startsWith("inst/") && n.matches(".*/(LICENSE|NOTICE|licenses/)[^/]*"),
                        "a licence file in inst/: " + n);
                if (n.startsWith("META-INF/licenses/") && !e.isDirectory()) {
                    Matcher m = Pattern.compile("META-INF/(licenses/)?[A-Za-z0-9.-]*[A-Za-z0-9]")
                            .matcher(text(jar, n));
                    while (m.find()) {
                        assertNotNull(jar.getEntry(m.group()), n + " points to " + m.group() + ", not in the jar");
                    }
                }
            }
        }
    }

    private static String text(JarFile jar, String name) throws IOException {
        JarEntry e = jar.getJarEntry(name);
        assertNotNull(e, "no " + name);
        try (InputStream in = jar.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> names() throws IOException {
        try (JarFile jar = new JarFile(ChildJvm.AGENT.toFile())) {
            return jar.stream().map(JarEntry::getName).collect(Collectors.toList());
        }
    }
}
