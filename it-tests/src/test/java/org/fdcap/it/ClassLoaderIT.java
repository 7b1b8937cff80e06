package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;
import org.fdcap.it.scenarios.JarLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A class loader over 1,000 jars (each one a RandomAccessFile inside ZipFile) under a limit of 256. */
class ClassLoaderIT {
    private static final int JARS = 1000;
    private static final Path DIR = ChildJvm.WORK.resolve("jars");

    @BeforeAll
    static void makeJars() throws IOException {
        Files.createDirectories(DIR);
        for (int i = 0; i < JARS; i++) {
            Path jar = DIR.resolve("p" + i + ".jar");
            if (Files.exists(jar)) {
                continue;
            }
            byte[] clazz = new ByteBuddy().subclass(Object.class).name("plugin.P" + i)
                    .method(ElementMatchers.named("toString")).intercept(FixedValue.value("P" + i))
                    .make().getBytes();
            try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os)) {
                jos.putNextEntry(new JarEntry("plugin/P" + i + ".class"));
                jos.write(clazz);
                jos.putNextEntry(new JarEntry("plugin/r" + i + ".txt"));
                jos.write(("resource " + i).getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void aClassLoaderOverAThousandJarsRunsUnderALimitOf256() throws Exception {
        ChildJvm.Result reference = ChildJvm.of(JarLoader.class, DIR.toString(), "" + JARS).unlimited().run();
        assertEquals(0, reference.exit, reference::toString);

        ChildJvm.Result r = ChildJvm.of(JarLoader.class, DIR.toString(), "" + JARS).limit(256).withAgent().run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.suspensions() > JARS && r.restores() > JARS, r::toString);
        assertTrue(r.maxFds <= 256, r::toString);
    }

    @Test
    void withoutTheAgentTheClassLoaderRunsOutOfDescriptors() throws Exception {
        ChildJvm.Result r = ChildJvm.of(JarLoader.class, DIR.toString(), "" + JARS).limit(256).run();

        assertNotEquals(0, r.exit, r::toString);
    }
}
