package org.fdcap.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/** The call-site pre-filter reads the constant pool of every JDK class and misses no call. */
class PreFilterTest {
    @Test
    void theConstantPoolWalkReadsEveryJdkClassAndSeesTheNamesOfEveryCallToTheNatives() throws Exception {
        FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        List<Path> classes;
        try (Stream<Path> s = Files.walk(jrt.getPath("/modules/java.base"))) {
            classes = s.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        int calling = 0;
        for (Path p : classes) {
            byte[] b = Files.readAllBytes(p);
            int names = CallSiteSubstitution.constantPoolNames(b);
            assertNotEquals(-1, names, p.toString());
            for (String call : calls(b)) {
                if (call.equals("java/io/RandomAccessFile.getFilePointer()J")) {
                    calling++;
                    assertTrue((names & CallSiteSubstitution.NAME_GET_FILE_POINTER) != 0, p + " " + call);
                } else if (call.equals("java/io/RandomAccessFile.length()J")) {
                    assertTrue((names & CallSiteSubstitution.NAME_RAF) != 0
                            && (names & CallSiteSubstitution.NAME_LENGTH) != 0, p + " " + call);
                } else if (call.equals("java/io/RandomAccessFile.setLength(J)V")) {
                    assertTrue((names & CallSiteSubstitution.NAME_RAF) != 0
                            && (names & CallSiteSubstitution.NAME_SET_LENGTH) != 0, p + " " + call);
                } else if (call.equals("java/io/FileDescriptor.sync()V")) {
                    assertTrue((names & CallSiteSubstitution.NAME_FD) != 0
                            && (names & CallSiteSubstitution.NAME_SYNC) != 0, p + " " + call);
                }
            }
        }
        assertTrue(calling > 0, "no JDK class calls getFilePointer: the test saw nothing");
    }

    @Test
    void aFileThatIsNotAClassFileIsLeftToTheScan() {
        assertTrue(CallSiteSubstitution.constantPoolNames(new byte[] {1, 2, 3}) == -1);
    }

    private static List<String> calls(byte[] classFile) {
        List<String> calls = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String n, String d, boolean itf) {
                        calls.add(owner + "." + n + d);
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return calls;
    }
}
