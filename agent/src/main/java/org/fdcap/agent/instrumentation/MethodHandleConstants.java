package org.fdcap.agent.instrumentation;

import java.util.HashMap;
import java.util.Map;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.field.FieldDescription;
import net.bytebuddy.description.field.FieldList;
import net.bytebuddy.description.method.MethodList;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * The other half of {@link CallSiteSubstitution}: a method reference such as
 * {@code raf::getFilePointer} or {@code RandomAccessFile::length} is no call instruction but a
 * method-handle constant (an {@code invokedynamic} bootstrap argument, or an {@code ldc}), which
 * member substitution does not see; called through it, the native would run on a suspended
 * descriptor and fail. Each such handle is replaced by one to the {@code FdBridge} method of the
 * same name, which takes the receiver as its first argument: the lambda metafactory binds a
 * static method with a leading receiver exactly as it binds the virtual one.
 */
final class MethodHandleConstants extends AsmVisitorWrapper.AbstractBase {
    private static final String BRIDGE = "org/fdcap/agent/bootstrap/FdBridge";
    private static final String RAF = "java/io/RandomAccessFile";
    private static final String FD = "java/io/FileDescriptor";

    /** "owner.name desc" of a native -> the handle that replaces it. */
    private final Map<String, Handle> replacements = new HashMap<>();
    /** The same for {@code super::getFilePointer} (an invokespecial handle): the JDK's own method. */
    private final Map<String, Handle> superReplacements = new HashMap<>();

    MethodHandleConstants(boolean nativeLength, boolean nativeSetLength, boolean nativeSync) {
        replace(RAF, "getFilePointer", "()J");
        if (nativeLength) {
            replace(RAF, "length", "()J");
        }
        if (nativeSetLength) {
            replace(RAF, "setLength", "(J)V");
        }
        if (nativeSync) {
            replace(FD, "sync", "()V");
        }
    }

    private void replace(String owner, String name, String desc) {
        String bridgeDesc = "(L" + owner + ";" + desc.substring(1);
        replacements.put(owner + "." + name + desc, new Handle(Opcodes.H_INVOKESTATIC, BRIDGE, name, bridgeDesc, false));
        if (owner.equals(RAF)) {
            superReplacements.put(owner + "." + name + desc,
                    new Handle(Opcodes.H_INVOKESTATIC, BRIDGE, name + "Super", bridgeDesc, false));
        }
    }

    /**
     * The descriptor of a lambda's {@code invokedynamic} whose implementation handle was replaced
     * by a bridge method: a bound method reference ({@code sub::getFilePointer}) captures its
     * receiver with the variable's type, perhaps a subclass, and the lambda metafactory wants a
     * captured argument of exactly the static method's parameter type, RandomAccessFile; any
     * subclass instance the caller pushes is one. Other call sites keep their descriptor.
     */
    String capturedReceiver(String desc, Handle bootstrap, Object[] mappedArgs) {
        if (!bootstrap.getOwner().equals("java/lang/invoke/LambdaMetafactory") || mappedArgs.length < 2
                || !(mappedArgs[1] instanceof Handle) || !((Handle) mappedArgs[1]).getOwner().equals(BRIDGE)
                || desc.startsWith("()")) {
            return desc;
        }
        Type[] captured = Type.getArgumentTypes(desc);
        Type implReceiver = Type.getArgumentTypes(((Handle) mappedArgs[1]).getDesc())[0];
        if (captured[0].getSort() != Type.OBJECT || captured[0].equals(implReceiver)) {
            return desc;
        }
        captured[0] = implReceiver;
        return Type.getMethodDescriptor(Type.getReturnType(desc), captured);
    }

    /** The replacement of {@code value} when it is a handle on one of the natives, else {@code value}. */
    Object map(Object value) {
        if (value instanceof Handle) {
            Handle h = (Handle) value;
            if (h.getTag() == Opcodes.H_INVOKEVIRTUAL || h.getTag() == Opcodes.H_INVOKESPECIAL) {
                Handle r = (h.getTag() == Opcodes.H_INVOKEVIRTUAL ? replacements : superReplacements)
                        .get(h.getOwner() + "." + h.getName() + h.getDesc());
                if (r != null) {
                    return r;
                }
            }
        }
        return value;
    }

    @Override
    public ClassVisitor wrap(TypeDescription instrumentedType, ClassVisitor classVisitor,
            Implementation.Context implementationContext, TypePool typePool,
            FieldList<FieldDescription.InDefinedShape> fields, MethodList<?> methods, int writerFlags,
            int readerFlags) {
        return new ClassVisitor(OpenedClassReader.ASM_API, classVisitor) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                return mv == null ? null : new MethodVisitor(OpenedClassReader.ASM_API, mv) {
                    @Override
                    public void visitInvokeDynamicInsn(String n, String d, Handle bootstrap, Object... args) {
                        Object[] mapped = args.clone();
                        boolean changed = false;
                        for (int i = 0; i < mapped.length; i++) {
                            mapped[i] = map(mapped[i]);
                            changed |= mapped[i] != args[i];
                        }
                        super.visitInvokeDynamicInsn(n, changed ? capturedReceiver(d, bootstrap, mapped) : d, bootstrap,
                                mapped);
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        super.visitLdcInsn(map(value));
                    }
                };
            }
        };
    }
}
