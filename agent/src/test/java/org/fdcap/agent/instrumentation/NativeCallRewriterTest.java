package org.fdcap.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeCallRewriterTest {
    private static final NativeCallRewriter JDK17 = new NativeCallRewriter(true, true, true);
    private static final NativeCallRewriter JDK25 = new NativeCallRewriter(false, false, false);

    /** A class {@code t.C} with one static method {@code m(arg)} that makes one call and returns. */
    private static byte[] classCalling(int opcode, String owner, String name, String desc, String argType,
            String returnDesc, int returnOp) {
        return classCalling(Opcodes.V17, opcode, owner, name, desc, argType, returnDesc, returnOp);
    }

    private static byte[] classCalling(int version, int opcode, String owner, String name, String desc, String argType,
            String returnDesc, int returnOp) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(version, Opcodes.ACC_PUBLIC, "t/C", null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "m",
                "(L" + argType + ";)" + returnDesc, null, new String[] {"java/io/IOException"});
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        if (desc.equals("(J)V")) {
            mv.visitLdcInsn(7L);
        }
        mv.visitMethodInsn(opcode, owner, name, desc, opcode == Opcodes.INVOKEINTERFACE);
        mv.visitInsn(returnOp);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Every invokedynamic in a class file, as "name desc bootstrap-name static-arguments". */
    private static List<String> indys(byte[] classFile) {
        List<String> out = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitInvokeDynamicInsn(String n, String d, net.bytebuddy.jar.asm.Handle bsm,
                            Object... args) {
                        out.add(n + " " + d + " " + bsm.getName() + " " + java.util.Arrays.toString(args));
                    }
                };
            }
        }, 0);
        return out;
    }

    /** Every method call in a class file, as "opcode owner.name desc". */
    private static List<String> calls(byte[] classFile) {
        List<String> calls = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int op, String owner, String n, String d, boolean itf) {
                        calls.add(op + " " + owner + "." + n + " " + d);
                    }
                };
            }
        }, 0);
        return calls;
    }

    @Test
    void getFilePointerOnRandomAccessFileBecomesTheBridgeCall() {
        byte[] in = classCalling(Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile", "getFilePointer", "()J",
                "java/io/RandomAccessFile", "J", Opcodes.LRETURN);

        byte[] out = JDK25.rewrite(in);

        assertEquals(List.of(Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.getFilePointer"
                + " (Ljava/io/RandomAccessFile;)J"), calls(out));
    }

    @Test
    void lengthSetLengthAndSyncAreRewrittenOnlyWhereNative() {
        byte[] length = classCalling(Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile", "length", "()J",
                "java/io/RandomAccessFile", "J", Opcodes.LRETURN);
        byte[] setLength = classCalling(Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile", "setLength", "(J)V",
                "java/io/RandomAccessFile", "V", Opcodes.RETURN);
        byte[] sync = classCalling(Opcodes.INVOKEVIRTUAL, "java/io/FileDescriptor", "sync", "()V",
                "java/io/FileDescriptor", "V", Opcodes.RETURN);

        assertEquals(List.of(Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.length"
                + " (Ljava/io/RandomAccessFile;)J"), calls(JDK17.rewrite(length)));
        assertEquals(List.of(Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.setLength"
                + " (Ljava/io/RandomAccessFile;J)V"), calls(JDK17.rewrite(setLength)));
        assertEquals(List.of(Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.sync"
                + " (Ljava/io/FileDescriptor;)V"), calls(JDK17.rewrite(sync)));
        assertNull(JDK25.rewrite(length));
        assertNull(JDK25.rewrite(setLength));
        assertNull(JDK25.rewrite(sync));
    }

    @Test
    void aSameNamedMethodOfAJdkClassIsLeftAlone() {
        byte[] in = classCalling(Opcodes.INVOKEVIRTUAL, "java/io/File", "length", "()J", "java/io/File", "J",
                Opcodes.LRETURN);

        assertNull(JDK17.rewrite(in));
    }

    @Test
    void aCallOnAProgramsTypeBecomesAnInvokedynamicLinkedByTheBridgeWithTheSameOperands() {
        byte[] virtual = classCalling(Opcodes.INVOKEVIRTUAL, "com/example/MyFile", "getFilePointer", "()J",
                "com/example/MyFile", "J", Opcodes.LRETURN);
        byte[] viaInterface = classCalling(Opcodes.INVOKEINTERFACE, "com/example/Positioned", "length", "()J",
                "com/example/Positioned", "J", Opcodes.LRETURN);

        assertEquals(List.of("getFilePointer (Lcom/example/MyFile;)J nativeCall [0, Lcom/example/MyFile;]"),
                indys(JDK25.rewrite(virtual)));
        assertEquals(List.of("length (Lcom/example/Positioned;)J nativeCall [1, Lcom/example/Positioned;]"),
                indys(JDK17.rewrite(viaInterface)));
        assertNull(JDK25.rewrite(viaInterface), "length() is no native on JDK 25: nothing to do");
    }

    @Test
    void aCallOnAClassAlreadyKnownOutsideRandomAccessFilesHierarchyIsLeftAsItIs() {
        byte[] virtual = classCalling(Opcodes.INVOKEVIRTUAL, "com/example/IndexInput", "getFilePointer", "()J",
                "com/example/IndexInput", "J", Opcodes.LRETURN);
        byte[] special = classCalling(Opcodes.INVOKESPECIAL, "com/example/IndexInput", "getFilePointer", "()J",
                "com/example/IndexInput", "J", Opcodes.LRETURN);
        byte[] old = classCalling(Opcodes.V1_6, Opcodes.INVOKEVIRTUAL, "com/example/IndexInput", "getFilePointer",
                "()J", "com/example/IndexInput", "J", Opcodes.LRETURN);
        byte[] viaInterface = classCalling(Opcodes.INVOKEINTERFACE, "com/example/Positioned", "getFilePointer", "()J",
                "com/example/Positioned", "J", Opcodes.LRETURN);
        byte[] onRaf = classCalling(Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile", "getFilePointer", "()J",
                "java/io/RandomAccessFile", "J", Opcodes.LRETURN);
        java.util.function.Predicate<String> known = "com/example/IndexInput"::equals;
        java.util.function.Predicate<String> everything = owner -> true;

        assertNull(JDK25.rewrite(virtual, known), "nothing to change");
        assertNull(JDK25.rewrite(special, known), "nothing to change");
        assertNull(JDK25.rewrite(old, known), "decided: no need of the general path");
        assertEquals(List.of("getFilePointer (Lcom/example/IndexInput;)J nativeCall [0, Lcom/example/IndexInput;]"),
                indys(JDK25.rewrite(virtual, "com/example/Other"::equals)), "an owner not known is linked as before");
        assertEquals(List.of("getFilePointer (Lcom/example/Positioned;)J nativeCall [1, Lcom/example/Positioned;]"),
                indys(JDK25.rewrite(viaInterface, everything)), "a call through an interface is never decided here");
        assertEquals(List.of(Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.getFilePointer"
                + " (Ljava/io/RandomAccessFile;)J"), calls(JDK25.rewrite(onRaf, everything)));
    }

    /** A class {@code t.Own} extending {@code superName} whose method {@code m()} calls its own getFilePointer(). */
    private static byte[] selfCalling(String superName, boolean isInterface) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | (isInterface ? Opcodes.ACC_INTERFACE | Opcodes.ACC_ABSTRACT : 0),
                "t/Own", null, superName, null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "m", "()J", null, new String[] {"java/io/IOException"});
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitMethodInsn(isInterface ? Opcodes.INVOKEINTERFACE : Opcodes.INVOKEVIRTUAL, "t/Own", "getFilePointer",
                "()J", isInterface);
        mv.visitInsn(Opcodes.LRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    @Test
    void aClassCallingItsOwnMethodIsLeftAsItIsWhenItsSuperclassIsKnownNotToBeARandomAccessFile() {
        assertNull(JDK25.rewrite(selfCalling("java/lang/Object", false)));
        assertNull(JDK25.rewrite(selfCalling("java/io/InputStream", false)));
        assertNull(JDK25.rewrite(selfCalling("com/example/Base", false), "com/example/Base"::equals));

        assertEquals(List.of("getFilePointer (Lt/Own;)J nativeCall [0, Lt/Own;]"),
                indys(JDK25.rewrite(selfCalling("java/io/RandomAccessFile", false))), "a RandomAccessFile itself");
        assertEquals(List.of("getFilePointer (Lt/Own;)J nativeCall [0, Lt/Own;]"),
                indys(JDK25.rewrite(selfCalling("com/example/Base", false))), "a superclass not known");
        assertEquals(List.of("getFilePointer (Lt/Own;)J nativeCall [1, Lt/Own;]"),
                indys(JDK25.rewrite(selfCalling("java/lang/Object", true))), "an interface");
    }

    @Test
    void aClassFileOlderThanJava7CannotHoldAnInvokedynamicAndGoesToTheGeneralPath() {
        byte[] old = classCalling(Opcodes.V1_6, Opcodes.INVOKEVIRTUAL, "com/example/MyFile", "getFilePointer", "()J",
                "com/example/MyFile", "J", Opcodes.LRETURN);
        byte[] oldOnRaf = classCalling(Opcodes.V1_6, Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile",
                "getFilePointer", "()J", "java/io/RandomAccessFile", "J", Opcodes.LRETURN);

        assertSame(NativeCallRewriter.GENERAL, JDK25.rewrite(old));
        assertEquals(List.of(Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.getFilePointer"
                + " (Ljava/io/RandomAccessFile;)J"), calls(JDK25.rewrite(oldOnRaf)), "the exact owner needs no indy");
    }

    @Test
    void aSuperCallNamingAMiddleClassThatDoesNotOverrideReachesTheJdkThroughTheBridge(@TempDir Path dir)
            throws Exception {
        // t.Middle extends RandomAccessFile and overrides nothing; t.Sub's override of length()
        // returns super.length(), which javac would name t.Middle.length().
        byte[] middle = subclassOverriding("t/Middle", "java/io/RandomAccessFile", null, null, 0);
        byte[] leaf = JDK17.rewrite(subclassOverriding("t/Sub", "t/Middle", "length", "()J", Opcodes.LRETURN));
        assertEquals(List.of("length (Lt/Sub;)J nativeCall [2, Lt/Middle;]"), indys(leaf));
        ClassLoader loader = loaderOf(Map.of("t.Middle", middle, "t.Sub", leaf));
        Path file = dir.resolve("f");
        Files.write(file, new byte[] {1, 2, 3, 4, 5, 6});
        try (RandomAccessFile raf = (RandomAccessFile) loader.loadClass("t.Sub")
                .getConstructor(String.class, String.class).newInstance(file.toString(), "r")) {
            assertEquals(6L, raf.length());
        }
    }

    /**
     * A class {@code t.Sub extends RandomAccessFile} with a constructor {@code (String, String)} and
     * an override {@code name desc} that returns {@code super.name(...)}: the shape of a storage
     * engine's subclass that calls {@code super.length()}.
     */
    private static byte[] subclassOverriding(String name, String desc, int returnOp) {
        return subclassOverriding("t/Sub", "java/io/RandomAccessFile", name, desc, returnOp);
    }

    /** As above, named {@code className}, extending {@code superName}; no override when {@code name} is null. */
    private static byte[] subclassOverriding(String className, String superName, String name, String desc,
            int returnOp) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, className, null, superName, null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "(Ljava/lang/String;Ljava/lang/String;)V",
                null, new String[] {"java/io/IOException"});
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitVarInsn(Opcodes.ALOAD, 1);
        init.visitVarInsn(Opcodes.ALOAD, 2);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>",
                "(Ljava/lang/String;Ljava/lang/String;)V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        if (name == null) {
            cw.visitEnd();
            return cw.toByteArray();
        }
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, name, desc, null, new String[] {"java/io/IOException"});
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        if (desc.equals("(J)V")) {
            mv.visitVarInsn(Opcodes.LLOAD, 1);
        }
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, name, desc, false);
        mv.visitInsn(returnOp);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    @Test
    void aSuperCallInADirectSubclassBecomesTheBridgeCallToTheJdksOwnMethod() {
        String superInit = Opcodes.INVOKESPECIAL + " java/io/RandomAccessFile.<init> (Ljava/lang/String;Ljava/lang/String;)V";

        assertEquals(List.of(superInit, Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.getFilePointerSuper"
                + " (Ljava/io/RandomAccessFile;)J"), calls(JDK25.rewrite(subclassOverriding("getFilePointer", "()J",
                Opcodes.LRETURN))));
        assertEquals(List.of(superInit, Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.lengthSuper"
                + " (Ljava/io/RandomAccessFile;)J"), calls(JDK17.rewrite(subclassOverriding("length", "()J",
                Opcodes.LRETURN))));
        assertEquals(List.of(superInit, Opcodes.INVOKESTATIC + " org/fdcap/agent/bootstrap/FdBridge.setLengthSuper"
                + " (Ljava/io/RandomAccessFile;J)V"), calls(JDK17.rewrite(subclassOverriding("setLength", "(J)V",
                Opcodes.RETURN))));
        assertNull(JDK25.rewrite(subclassOverriding("length", "()J", Opcodes.LRETURN)), "not native on JDK 25");
    }

    @Test
    void aRewrittenOverrideThatCallsSuperReachesTheJdkAndNotItself(@TempDir Path dir) throws Exception {
        byte[] out = JDK17.rewrite(subclassOverriding("length", "()J", Opcodes.LRETURN));
        byte[] pointer = JDK17.rewrite(classCalling(Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile", "length",
                "()J", "java/io/RandomAccessFile", "J", Opcodes.LRETURN));
        ClassLoader loader = new ClassLoader(getClass().getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] b = name.equals("t.Sub") ? out : name.equals("t.C") ? pointer : null;
                if (b == null) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, b, 0, b.length);
            }
        };
        Path file = dir.resolve("f");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        Object sub = loader.loadClass("t.Sub").getConstructor(String.class, String.class)
                .newInstance(file.toString(), "r");
        try (RandomAccessFile raf = (RandomAccessFile) sub) {
            // The override, called virtually through the rewritten call site of t.C, returns
            // super.length(): 5, where a virtual call in its place recursed until the stack was gone.
            assertEquals(5L, raf.length());
            assertEquals(5L, loader.loadClass("t.C").getMethod("m", RandomAccessFile.class).invoke(null, raf));
        }
    }

    private ClassLoader loaderOf(Map<String, byte[]> classes) {
        return new ClassLoader(getClass().getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] b = classes.get(name);
                if (b == null) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, b, 0, b.length);
            }
        };
    }

    @Test
    void theRewrittenClassVerifiesAndCallsThroughTheBridge(@TempDir Path dir) throws Exception {
        byte[] out = JDK25.rewrite(classCalling(Opcodes.INVOKEVIRTUAL, "java/io/RandomAccessFile", "getFilePointer",
                "()J", "java/io/RandomAccessFile", "J", Opcodes.LRETURN));
        Class<?> c = new ClassLoader(getClass().getClassLoader()) {
            Class<?> define() {
                return defineClass("t.C", out, 0, out.length);
            }
        }.define();
        Path file = dir.resolve("f");
        Files.write(file, new byte[] {1, 2, 3});
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(2);

            assertEquals(2L, c.getMethod("m", RandomAccessFile.class).invoke(null, raf));
        }
    }
}
