package org.fdcap.it;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.fdcap.examples.ManyFilesDemo;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent makes its system calls through the JDK's own natives: no jnr class is ever loaded,
 * and jffi (for {@code statx}, the birth times JDKs before 22 do not give) only where the JDK
 * gives no birth time — while files are suspended and restored for real.
 */
class NativeCallsIT {
    @Test
    void noJnrClassLoadsAndJffiOnlyWhereTheJdkGivesNoBirthTime() throws Exception {
        Path log = Files.createDirectories(ChildJvm.WORK).resolve("native-calls-class-load.txt");
        Files.deleteIfExists(log);
        ChildJvm.Result uncapped = ChildJvm.of(ManyFilesDemo.class, "300").unlimited().run();
        ChildJvm.Result r = ChildJvm.of(ManyFilesDemo.class, "300").limit(128).withAgent("max=100")
                .jvmArg("-Xlog:class+load:file=" + log).run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(uncapped.out, r.out);
        assertTrue(r.restores() > 300, r::toString);
        assertEquals(0, r.errors(), r::toString);
        List<String> loaded = Files.readAllLines(log).stream()
                .map(line -> line.replaceFirst("^\\[[^]]*\\]\\s*(\\[[^]]*\\]\\s*)*", ""))
                .map(line -> line.split(" ")[0])
                .collect(Collectors.toList());
        assertTrue(loaded.contains("org.fdcap.agent.jdk.JdkCalls"), "the class-load log is not what was expected");
        assertEquals(List.of(), loaded.stream().filter(c -> c.startsWith("jnr.")).collect(Collectors.toList()));
        boolean jffi = loaded.stream().anyMatch(c -> c.startsWith("com.kenai.jffi."));
        assertEquals(Runtime.version().feature() < 22, jffi, "jffi loaded: " + jffi);
    }
}
