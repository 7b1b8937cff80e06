package org.fdcap.agent.instrumentation;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.fdcap.agent.bootstrap.FdBridge;

/**
 * Makes {@code java.lang.management.ManagementFactory.getPlatformMBeanServer()} hand the server
 * it is about to return to {@link FdBridge#platformMBeanServer} first: the agent registers its
 * MBean the moment the platform MBean server exists, inside the call that creates it, so that the
 * caller already finds it there, and no thread has to wait for the server to appear.
 *
 * <p>One ASM pass puts {@code dup; invokestatic FdBridge.platformMBeanServer(Object)} before each
 * {@code areturn} of that method: no branch, no local, so no stack map frame changes; one more
 * stack slot. Not Byte Buddy's {@code Advice}, which would load Byte Buddy at every start (the
 * cached JDK types, {@link JdkTypes}, let most starts do without it). ManagementFactory is
 * rewritten when it loads, which a program that never uses JMX never makes it do; when it is
 * already loaded (an attach), it is retransformed at once.
 */
public final class ManagementFactoryHook implements ClassFileTransformer {
    private static final String TYPE = "java/lang/management/ManagementFactory";
    private static final String METHOD = "getPlatformMBeanServer";
    private static final String DESCRIPTOR = "()Ljavax/management/MBeanServer;";
    private static final String BRIDGE = "org/fdcap/agent/bootstrap/FdBridge";

    private ManagementFactoryHook() {
    }

    /**
     * Lets {@code java.management} call the bridge and opens {@code java.lang.management} to
     * {@code opensTo} (which reads the platform server's field, {@code platformMBeanServer}), then
     * registers the transformer, retransforming ManagementFactory if it is already loaded.
     *
     * @return ManagementFactory if it was already loaded (its platform server may exist already:
     *     look), else null (it did not, and whatever creates it now runs the rewritten method);
     *     also null when the runtime has no {@code java.management} (nothing can create one)
     */
    public static Class<?> install(Instrumentation inst, Module opensTo) throws Exception {
        Optional<Module> management = ModuleLayer.boot().findModule("java.management");
        if (management.isEmpty()) {
            return null;
        }
        inst.redefineModule(management.get(), Set.of(FdBridge.class.getModule()), Map.of(),
                Map.of("java.lang.management", Set.of(opensTo)), Set.of(), Map.of());
        inst.addTransformer(new ManagementFactoryHook(), true);
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getClassLoader() == null && c.getName().equals("java.lang.management.ManagementFactory")) {
                inst.retransformClasses(c);
                return c;
            }
        }
        return null;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain domain, byte[] bytes) {
        if (loader != null || !TYPE.equals(className)) {
            return null;
        }
        try {
            return rewrite(bytes);
        } catch (Throwable t) {
            return null; // the class stays as it was: the MBean is then never registered, nothing else changes
        }
    }

    /** The class with the bridge call before each return of the method, or null when it has no such method. */
    static byte[] rewrite(byte[] bytes) {
        ClassReader reader = new ClassReader(bytes);
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] found = {false};
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
                if (!name.equals(METHOD) || !descriptor.equals(DESCRIPTOR)) {
                    return next;
                }
                found[0] = true;
                return new MethodVisitor(Opcodes.ASM9, next) {
                    @Override
                    public void visitInsn(int opcode) {
                        if (opcode == Opcodes.ARETURN) {
                            super.visitInsn(Opcodes.DUP);
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "platformMBeanServer",
                                    "(Ljava/lang/Object;)V", false);
                        }
                        super.visitInsn(opcode);
                    }

                    @Override
                    public void visitMaxs(int maxStack, int maxLocals) {
                        super.visitMaxs(maxStack + 1, maxLocals);
                    }
                };
            }
        }, 0);
        return found[0] ? writer.toByteArray() : null;
    }
}
