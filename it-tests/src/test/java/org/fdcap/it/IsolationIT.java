package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fdcap.it.scenarios.HostApp;
import org.junit.jupiter.api.Test;

/**
 * The agent's Byte Buddy, Logback, SLF4J and jnr are invisible to a host application that ships
 * other versions of them (and the host's logback.xml never configures the agent's logging).
 */
class IsolationIT {
    private static final Path HOST_LIBS = Path.of(System.getProperty("fdcap.it.hostLibs", "target/host-libs"));

    @Test
    void aHostAppWithItsOwnByteBuddyLogbackSlf4jAndJnrRunsAsWithoutTheAgent() throws Exception {
        String cp;
        try (Stream<Path> jars = Files.list(HOST_LIBS)) {
            cp = ChildJvm.CLASSES + File.pathSeparator + jars.map(Path::toString).sorted()
                    .collect(Collectors.joining(File.pathSeparator));
        }
        String logback = "-Dlogback.configurationFile="
                + Path.of(IsolationIT.class.getResource("/host/logback.xml").toURI());
        ChildJvm.Result reference = ChildJvm.of(HostApp.class, "host-reference", "600").classPath(cp)
                .jvmArg(logback).jvmArg("-Dnet.bytebuddy.experimental=true").unlimited().run();
        assertEquals(0, reference.exit, reference::toString);

        ChildJvm.Result r = ChildJvm.of(HostApp.class, "host-capped", "600").classPath(cp).jvmArg(logback)
                .jvmArg("-Dnet.bytebuddy.experimental=true").limit(256).withAgent("max=128").run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertTrue(r.out.contains("byte-buddy: byte-buddy-1.14.18.jar generated a class: true"), r::toString);
        assertTrue(r.out.contains("logback: logback-classic-1.2.13.jar"), r::toString);
        assertTrue(r.out.contains("jnr-posix: jnr-posix-3.1.20.jar native: true getpid ok: true"), r::toString);
        assertTrue(r.out.contains("host-log INFO host done"), r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
        // The host may print its own warnings (JDK 22+: its jffi loading native code); the agent adds none.
        assertEquals(reference.err, r.errWithoutStats(), "the agent printed something");
    }
}
