package org.fdcap.agent.instrumentation;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

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
 * <p>A call of a method of that name and descriptor on a class or interface of the program's own
 * (a subclass, a deeper subclass's super call, an interface a subclass implements) becomes an
 * {@code invokedynamic} with the same operands, linked once by {@link
 * org.fdcap.agent.bootstrap.FdBridge#nativeCall} with the caller's own lookup: it resolves the call
 * exactly as the JVM would, and runs it through the bridge only where it reaches
 * RandomAccessFile's native (for an interface, only for receivers that are RandomAccessFiles);
 * anywhere else the call runs as it was. Class files older than Java 7 cannot hold an
 * {@code invokedynamic}: for them it answers {@link #GENERAL}.
 *
 * <p>No type is resolved here, which is what makes it cheap (Byte Buddy's {@code MemberSubstitution}
 * describes the owner of every call in the class). What is already known can be used: a call whose
 * owner is outside RandomAccessFile's hierarchy is left as it is, when the owner is this very class
 * (not an interface) and its superclass is known to be, or another class the caller says is loaded
 * and outside it ({@link CallSiteSubstitution.LoadedOwners}).
 */
final class NativeCallRewriter {
    /** The answer for a class the fast path cannot decide on. */
    static final byte[] GENERAL = new byte[0];

    private static final String RAF = "java/io/RandomAccessFile";
    private static final String FD = "java/io/FileDescriptor";
    private static final String BRIDGE = "org/fdcap/agent/bootstrap/FdBridge";
    /** FdBridge.nativeCall: links the invokedynamic that stands for a call on a program's type. */
    private static final Handle NATIVE_CALL = new Handle(Opcodes.H_INVOKESTATIC, BRIDGE, "nativeCall",
            "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;ILjava/lang/Class;)"
                    + "Ljava/lang/invoke/CallSite;", false);
    /** The kinds of call {@link #NATIVE_CALL} links, as FdBridge numbers them. */
    private static final int VIRTUAL = 0;
    private static final int INTERFACE = 1;
    private static final int SPECIAL = 2;

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
        return rewrite(classFile, null);
    }

    /**
     * The same, where the calls on the program's classes that {@code neverRaf} already knows
     * cannot reach RandomAccessFile's natives are left as they are.
     *
     * @param neverRaf given a call's owner (internal name), true only when that class is already
     *     loaded, as the class being rewritten will resolve it, and is neither RandomAccessFile, a
     *     subclass of it, nor an interface; null when nothing is known
     */
    byte[] rewrite(byte[] classFile, java.util.function.Predicate<String> neverRaf) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, 0);
        Pass pass = new Pass(writer, neverRaf);
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
        /** The class's direct superclass, its name and whether its class file may hold an invokedynamic. */
        String superName;
        String className;
        boolean indy;
        boolean isInterface;
        /** Static methods to add (see {@link #handleOnProgramType}): name, descriptor, kind, owner. */
        final java.util.List<String[]> added = new java.util.ArrayList<>();
        /** See {@link NativeCallRewriter#rewrite(byte[], java.util.function.Predicate)}; or null. */
        final java.util.function.Predicate<String> neverRaf;

        Pass(ClassVisitor next, java.util.function.Predicate<String> neverRaf) {
            super(Opcodes.ASM9, next);
            this.neverRaf = neverRaf;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName,
                String[] interfaces) {
            this.superName = superName;
            this.className = name;
            this.isInterface = (access & Opcodes.ACC_INTERFACE) != 0;
            // An interface may hold the private static helpers below from Java 9 on.
            this.indy = (version & 0xffff) >= (isInterface ? Opcodes.V9 : Opcodes.V1_7);
            super.visit(version, access, name, signature, superName, interfaces);
        }

        /**
         * A method-handle constant on a native's name and descriptor in a type of the program's own
         * ({@code positioned::getFilePointer} through an interface a subclass implements): a
         * private static method is added to this class that makes the call through
         * {@code FdBridge.nativeCall} (as {@link #linkedCall} does for a call instruction), and the
         * constant becomes a handle on it. Null when {@code value} is not such a handle.
         */
        Handle handleOnProgramType(Object value) {
            if (!(value instanceof Handle)) {
                return null;
            }
            Handle h = (Handle) value;
            int tag = h.getTag();
            if ((tag != Opcodes.H_INVOKEVIRTUAL && tag != Opcodes.H_INVOKEINTERFACE && tag != Opcodes.H_INVOKESPECIAL)
                    || rafReplacement(h.getName(), h.getDesc()) == null || h.getOwner().equals(RAF)
                    || jdkOwner(h.getOwner())) {
                return null;
            }
            if (!indy) {
                undecided = true;
                return null;
            }
            int kind = tag == Opcodes.H_INVOKESPECIAL ? SPECIAL : tag == Opcodes.H_INVOKEINTERFACE ? INTERFACE : VIRTUAL;
            String receiver = kind == SPECIAL ? className : h.getOwner();
            String desc = "(L" + receiver + ";" + h.getDesc().substring(1);
            String name = "fdcap$" + h.getName() + "$" + added.size();
            added.add(new String[] {name, desc, Integer.toString(kind), h.getOwner(), h.getName()});
            replaced++;
            return new Handle(Opcodes.H_INVOKESTATIC, className, name, desc, isInterface);
        }

        /**
         * Whether {@code owner}, a program's class, is known to be outside RandomAccessFile's
         * hierarchy: this very class when it is not an interface and its superclass is (a
         * {@code java.*} class other than RandomAccessFile, or a loaded class {@link #neverRaf}
         * vouches for); any other class when {@link #neverRaf} vouches for it.
         */
        boolean knownNeverRaf(String owner) {
            if (owner.equals(className)) {
                // java.*: only the JDK defines those packages, and none of its classes extends
                // RandomAccessFile (com.sun.* is not enough: libraries use it too)
                return !isInterface && superName != null && (superName.startsWith("java/") ? !superName.equals(RAF)
                        : neverRaf != null && neverRaf.test(superName));
            }
            return neverRaf != null && neverRaf.test(owner);
        }

        @Override
        public void visitEnd() {
            for (String[] m : added) {
                MethodVisitor mv = super.visitMethod(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, m[0],
                        m[1], null, new String[] {"java/io/IOException"});
                mv.visitCode();
                int slot = 0;
                for (Type t : Type.getArgumentTypes(m[1])) {
                    mv.visitVarInsn(t.getOpcode(Opcodes.ILOAD), slot);
                    slot += t.getSize();
                }
                mv.visitInvokeDynamicInsn(m[4], m[1], NATIVE_CALL, Integer.parseInt(m[2]), Type.getObjectType(m[3]));
                mv.visitInsn(Type.getReturnType(m[1]).getOpcode(Opcodes.IRETURN));
                mv.visitMaxs(Math.max(slot, 2), slot);
                mv.visitEnd();
            }
            super.visitEnd();
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            return new MethodVisitor(Opcodes.ASM9, super.visitMethod(access, name, descriptor, signature, exceptions)) {
                @Override
                public void visitMethodInsn(int opcode, String owner, String name, String desc, boolean itf) {
                    String replacement = rafReplacement(name, desc);
                    if (replacement != null) {
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
                        if ((opcode == Opcodes.INVOKEVIRTUAL || opcode == Opcodes.INVOKESPECIAL)
                                && !owner.equals(RAF) && !jdkOwner(owner) && knownNeverRaf(owner)) {
                            // A loaded class outside RandomAccessFile's hierarchy: the call, virtual
                            // or super, resolves within that class's own hierarchy, never to the
                            // native (no invokedynamic to link, nothing more for the JIT)
                            super.visitMethodInsn(opcode, owner, name, desc, itf);
                            return;
                        }
                        if (opcode != Opcodes.INVOKESTATIC && (owner.equals(RAF) || !jdkOwner(owner))) {
                            if (!indy) {
                                undecided = true; // no invokedynamic before Java 7: the general path
                            } else {
                                linkedCall(opcode, owner, name, desc);
                                return;
                            }
                        }
                    } else if (nativeSync && name.equals("sync") && desc.equals("()V") && owner.equals(FD)) {
                        // FileDescriptor is final: the owner of a call to its sync() is itself.
                        replaced++;
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "sync", "(Ljava/io/FileDescriptor;)V", false);
                        return;
                    }
                    super.visitMethodInsn(opcode, owner, name, desc, itf);
                }

                /**
                 * The call as an invokedynamic taking the same operands: the receiver (typed as the
                 * caller's own class for a super call, as invokespecial requires) and the arguments.
                 */
                private void linkedCall(int opcode, String owner, String name, String desc) {
                    int kind = opcode == Opcodes.INVOKESPECIAL ? SPECIAL
                            : opcode == Opcodes.INVOKEINTERFACE ? INTERFACE : VIRTUAL;
                    String receiver = kind == SPECIAL ? className : owner;
                    replaced++;
                    super.visitInvokeDynamicInsn(name, "(L" + receiver + ";" + desc.substring(1), NATIVE_CALL, kind,
                            Type.getObjectType(owner));
                }

                @Override
                public void visitInvokeDynamicInsn(String n, String d, Handle bootstrap, Object... args) {
                    Object[] mapped = args;
                    for (int i = 0; i < args.length; i++) {
                        Object m = handleOnProgramType(args[i]);
                        if (m == null) {
                            m = handles.map(args[i]);
                        }
                        if (m != args[i]) {
                            if (mapped == args) {
                                mapped = args.clone();
                                replaced++;
                            }
                            mapped[i] = m;
                        }
                    }
                    super.visitInvokeDynamicInsn(n, mapped == args ? d : handles.capturedReceiver(d, bootstrap, mapped),
                            bootstrap, mapped);
                }

                @Override
                public void visitLdcInsn(Object value) {
                    Object m = handleOnProgramType(value);
                    if (m == null) {
                        m = handles.map(value);
                        if (m != value) {
                            replaced++;
                        }
                    }
                    super.visitLdcInsn(m);
                }
            };
        }
    }
}
