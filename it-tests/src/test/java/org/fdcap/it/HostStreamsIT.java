package org.fdcap.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.fdcap.it.thirdparty.LuceneSearch;
import org.junit.jupiter.api.Test;

/**
 * The agent never makes the JVM print on the host's streams: under it a program's stdout and
 * stderr are what they are without it (less the stats line the tests ask for), on the JDK that
 * runs the tests (CI: 17 and 25). On JDK 24+ a use of {@code sun.misc.Unsafe} by the agent's Byte
 * Buddy would print a warning there; on every JDK it would define Byte Buddy's {@code Nexus} in
 * the host's system class loader, which the class-load log shows.
 */
class HostStreamsIT {
    private static final String LEGACY_CLASS = "legacy.LegacySubclass";

    /**
     * A {@code RandomAccessFile} subclass in a Java 6 class file, which cannot hold the
     * {@code invokedynamic} the call-site rewriter's fast path links a call on a program's type with:
     * its {@code getFilePointer()} call goes through Byte Buddy, which the agent sets up then, long
     * after its start. Run twice on a fresh cache: the JDK types instrumented by Byte Buddy at the
     * start, then read from the cache (no Byte Buddy at the start at all).
     */
    @Test
    void aRandomAccessFileSubclassInAJava6ClassFilePrintsOnlyItsOwnOutputWithTheJdkTypesCachedOrNot()
            throws Exception {
        Path classes = FaultsIT.fresh("host-streams-legacy-classes");
        Path clazz = classes.resolve(LEGACY_CLASS.replace('.', '/') + ".class");
        Files.createDirectories(clazz.getParent());
        Files.write(clazz, legacySubclass());
        Path cache = FaultsIT.fresh("host-streams-cache");
        Path file = FaultsIT.fresh("host-streams-legacy").resolve("data");

        ChildJvm.Result reference = ChildJvm.of(LEGACY_CLASS, file.toString()).classPath(classes.toString())
                .unlimited().run();
        assertEquals(0, reference.exit, reference::toString);
        assertEquals("5\n5\n", reference.out, reference::toString);
        assertEquals("", reference.err, reference::toString);

        for (String start : List.of("JDK types woven at the start", "JDK types from the cache")) {
            Files.deleteIfExists(file);
            Path log = ChildJvm.WORK.resolve("host-streams-class-load.txt");
            Files.deleteIfExists(log);
            ChildJvm.Result r = ChildJvm.of(LEGACY_CLASS, file.toString()).classPath(classes.toString()).limit(256)
                    .withAgent("max=64").jvmArg("-Dfdcap.cache.dir=" + cache)
                    .jvmArg("-Xlog:class+load:file=" + log).run();

            assertEquals(0, r.exit, start + ": " + r);
            assertEquals(reference.out, r.out, start + ": " + r);
            assertEquals("", r.errWithoutStats(), start + ": " + r);
            List<String> loaded = loadedClasses(log);
            assertTrue(loaded.contains("net.bytebuddy.asm.MemberSubstitution"),
                    start + ": the call was not rewritten through Byte Buddy; the test proves nothing");
            assertEquals(List.of(), loaded.stream()
                    .filter(c -> c.equals("net.bytebuddy.dynamic.Nexus")
                            || c.startsWith("net.bytebuddy.dynamic.loading.ClassInjector$Using")
                            || c.startsWith("net.bytebuddy.mirror."))
                    .collect(Collectors.toList()), start + ": Byte Buddy set up class injection");
        }
        try (Stream<Path> cached = Files.list(cache)) {
            assertTrue(cached.findAny().isPresent(), "the first run cached nothing: the second did not read a cache");
        }
    }

    /**
     * Apache Lucene searching an index of thousands of segment files under a cap far below what it
     * needs. Its own stderr (a line of the driver's; on JDK 23+ also a notice of Lucene's through
     * java.util.logging, silenced in both runs because it carries the time) is the same with and
     * without the agent.
     */
    @Test
    void luceneUnderTheAgentPrintsWhatItPrintsWithout() throws Exception {
        Path jul = Files.createDirectories(ChildJvm.WORK).resolve("host-streams-no-jul.properties");
        Files.write(jul, new byte[0]);
        ChildJvm.Result reference = lucene("host-streams-lucene-reference").jvmArg(
                "-Djava.util.logging.config.file=" + jul).unlimited().timeout(300).run();
        assertEquals(0, reference.exit, reference::toString);
        assertTrue(reference.err.startsWith("lucene index files: "), reference::toString);

        ChildJvm.Result r = lucene("host-streams-lucene-capped").jvmArg("-Djava.util.logging.config.file=" + jul)
                .limit(128).withAgent().timeout(300).run();

        assertEquals(0, r.exit, r::toString);
        assertEquals(reference.out, r.out);
        assertEquals(reference.err, r.errWithoutStats(), r::toString);
        assertTrue(r.suspensions() > 0, r::toString);
    }

    private static ChildJvm lucene(String dir) throws IOException {
        String libs = System.getProperty("fdcap.it.thirdParty", "target/third-party");
        String cp;
        try (Stream<Path> jars = Files.list(Path.of(libs))) {
            cp = ChildJvm.CLASSES + File.pathSeparator + jars.map(Path::toString).sorted()
                    .collect(Collectors.joining(File.pathSeparator));
        }
        return ChildJvm.of(LuceneSearch.class, FaultsIT.fresh(dir).toString(), "150", "20").classPath(cp);
    }

    private static List<String> loadedClasses(Path log) throws IOException {
        return Files.readAllLines(log).stream()
                .map(line -> line.replaceFirst("^\\[[^]]*\\]\\s*(\\[[^]]*\\]\\s*)*", ""))
                .map(line -> line.split(" ")[0])
                .collect(Collectors.toList());
    }

    /**
     * <pre>
     * package legacy;                                        // class file version 50 (Java 6)
     * public class LegacySubclass extends RandomAccessFile {
     *     public LegacySubclass(String name) { super(name, "rw"); }
     *     public long getFilePointer() throws IOException { return super.getFilePointer(); }
     *     public static void main(String[] args) throws IOException {
     *         LegacySubclass f = new LegacySubclass(args[0]);
     *         f.writeBytes("fdcap");
     *         System.out.println(f.getFilePointer());       // a call on the program's type
     *         System.out.println(f.length());
     *         f.close();
     *     }
     * }
     * </pre>
     */
    private static byte[] legacySubclass() {
        String self = LEGACY_CLASS.replace('.', '/');
        String raf = "java/io/RandomAccessFile";
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_6, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, self, null, raf, null);

        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "(Ljava/lang/String;)V", null,
                new String[] {"java/io/IOException"});
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitVarInsn(Opcodes.ALOAD, 1);
        init.visitLdcInsn("rw");
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, raf, "<init>", "(Ljava/lang/String;Ljava/lang/String;)V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        MethodVisitor position = cw.visitMethod(Opcodes.ACC_PUBLIC, "getFilePointer", "()J", null,
                new String[] {"java/io/IOException"});
        position.visitCode();
        position.visitVarInsn(Opcodes.ALOAD, 0);
        position.visitMethodInsn(Opcodes.INVOKESPECIAL, raf, "getFilePointer", "()J", false);
        position.visitInsn(Opcodes.LRETURN);
        position.visitMaxs(0, 0);
        position.visitEnd();

        MethodVisitor main = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "main", "([Ljava/lang/String;)V",
                null, new String[] {"java/io/IOException"});
        main.visitCode();
        main.visitTypeInsn(Opcodes.NEW, self);
        main.visitInsn(Opcodes.DUP);
        main.visitVarInsn(Opcodes.ALOAD, 0);
        main.visitInsn(Opcodes.ICONST_0);
        main.visitInsn(Opcodes.AALOAD);
        main.visitMethodInsn(Opcodes.INVOKESPECIAL, self, "<init>", "(Ljava/lang/String;)V", false);
        main.visitVarInsn(Opcodes.ASTORE, 1);
        main.visitVarInsn(Opcodes.ALOAD, 1);
        main.visitLdcInsn("fdcap");
        main.visitMethodInsn(Opcodes.INVOKEVIRTUAL, self, "writeBytes", "(Ljava/lang/String;)V", false);
        for (String query : List.of("getFilePointer", "length")) {
            main.visitFieldInsn(Opcodes.GETSTATIC, "java/lang/System", "out", "Ljava/io/PrintStream;");
            main.visitVarInsn(Opcodes.ALOAD, 1);
            main.visitMethodInsn(Opcodes.INVOKEVIRTUAL, self, query, "()J", false);
            main.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/io/PrintStream", "println", "(J)V", false);
        }
        main.visitVarInsn(Opcodes.ALOAD, 1);
        main.visitMethodInsn(Opcodes.INVOKEVIRTUAL, self, "close", "()V", false);
        main.visitInsn(Opcodes.RETURN);
        main.visitMaxs(0, 0);
        main.visitEnd();

        cw.visitEnd();
        return cw.toByteArray();
    }
}
