package org.fdcap.agent.instrumentation;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The fast path of {@link CallSiteSubstitution}: one pass of ASM over a class file that turns
 * {@code invokevirtual java/io/RandomAccessFile.getFilePointer()J} (and {@code length()J},
 * {@code setLength(J)V}, {@code java/io/FileDescriptor.sync()V} where those are native) into
 * {@code invokestatic} of the {@code FdBridge} method of the same name, which takes the receiver
 * as its first argument: the operand stack is the same before and after, so nothing else in the
 * method changes (no frames, no max stack).
 *
 * <p>A super call ({@code invokespecial java/io/RandomAccessFile.length()J} in a direct subclass)
 * becomes {@code invokestatic} of the bridge's {@code ...Super} method, which calls the JDK's own
 * method and never an override (calling it virtually would run the override that made the super
 * call, forever).
 *
 * <p>No type is resolved, which is what makes it cheap (Byte Buddy's {@code MemberSubstitution}
 * describes the owner of every call in the class). So it only handles the exact owners; when a
 * class calls a method of the same name and descriptor on a class of its own (perhaps a subclass
 * of RandomAccessFile), or makes a super call to it from a deeper subclass, it answers
 * {@link #GENERAL} and the caller uses the general path.
 */
final class NativeCallRewriter {
    /** The answer for a class the fast path cannot decide on. */
    static final byte[] GENERAL = new byte[0];

    private static final String RAF = "java/io/RandomAccessFile";
    private static final String FD = "java/io/FileDescriptor";
    private static final String BRIDGE = "org/fdcap/agent/bootstrap/FdBridge";

    private final boolean nativeLength;
    private final boolean nativeSetLength;
    private final boolean nativeSync;

    /** Method references to the natives ({@code raf::getFilePointer}), in ldc and invokedynamic. */
    private final MethodHandleConstants handles;

    NativeCallRewriter(boolean nativeLength, boolean nativeSetLength, boolean nativeSync) {
        this.nativeLength = nativeLength;
        this.nativeSetLength = nativeSetLength;
        this.nativeSync = nativeSync;
        this.handles = new MethodHandleConstants(nativeLength, nativeSetLength, nativeSync);
    }

    /** The rewritten class file; null when no call had to change; {@link #GENERAL} (see above). */
    byte[] rewrite(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, 0);
        Pass pass = new Pass(writer);
        reader.accept(pass, 0);
        if (pass.undecided) {
            return GENERAL;
        }
        return pass.replaced == 0 ? null : writer.toByteArray();
    }

    /** The bridge method replacing a call to {@code name desc} (a RandomAccessFile method), or null. */
    private String rafReplacement(String name, String desc) {
        if (name.equals("getFilePointer") && desc.equals("()J")) {
            return "(Ljava/io/RandomAccessFile;)J";
        }
        if (nativeLength && name.equals("length") && desc.equals("()J")) {
            return "(Ljava/io/RandomAccessFile;)J";
        }
        if (nativeSetLength && name.equals("setLength") && desc.equals("(J)V")) {
            return "(Ljava/io/RandomAccessFile;J)V";
        }
        return null;
    }

    /** Whether classes of {@code owner}'s package can be neither RandomAccessFile nor a subclass of it. */
    private static boolean jdkOwner(String owner) {
        return owner.startsWith("java/") || owner.startsWith("javax/") || owner.startsWith("jdk/")
                || owner.startsWith("sun/") || owner.startsWith("com/sun/");
    }

    private final class Pass extends ClassVisitor {
        int replaced;
        boolean undecided;
        /** The class's direct superclass. */
        String superName;

        Pass(ClassVisitor next) {
            super(Opcodes.ASM9, next);
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName,
                String[] interfaces) {
            this.superName = superName;
            super.visit(version, access, name, signature, superName, interfaces);
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            return new MethodVisitor(Opcodes.ASM9, super.visitMethod(access, name, descriptor, signature, exceptions)) {
                @Override
                public void visitMethodInsn(int opcode, String owner, String name, String desc, boolean itf) {
                    String replacement = rafReplacement(name, desc);
                    if (replacement != null && !itf) {
                        if (owner.equals(RAF) && opcode == Opcodes.INVOKEVIRTUAL) {
                            replaced++;
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, name, replacement, false);
                            return;
                        }
                        if (owner.equals(RAF) && opcode == Opcodes.INVOKESPECIAL && RAF.equals(superName)) {
                            replaced++;
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, name + "Super", replacement, false);
                            return;
                        }
                        if (owner.equals(RAF) || !jdkOwner(owner)) {
                            undecided = true; // a call on a possible subclass, or a super call from a deeper one
                        }
                    } else if (nativeSync && name.equals("sync") && desc.equals("()V") && owner.equals(FD)) {
                        // FileDescriptor is final: the owner of a call to its sync() is itself.
                        replaced++;
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "sync", "(Ljava/io/FileDescriptor;)V", false);
                        return;
                    }
                    super.visitMethodInsn(opcode, owner, name, desc, itf);
                }

                @Override
                public void visitInvokeDynamicInsn(String n, String d, Handle bootstrap, Object... args) {
                    Object[] mapped = args;
                    for (int i = 0; i < args.length; i++) {
                        Object m = handles.map(args[i]);
                        if (m != args[i]) {
                            if (mapped == args) {
                                mapped = args.clone();
                                replaced++;
                            }
                            mapped[i] = m;
                        }
                    }
                    super.visitInvokeDynamicInsn(n, d, bootstrap, mapped);
                }

                @Override
                public void visitLdcInsn(Object value) {
                    Object m = handles.map(value);
                    if (m != value) {
                        replaced++;
                    }
                    super.visitLdcInsn(m);
                }
            };
        }
    }
}
