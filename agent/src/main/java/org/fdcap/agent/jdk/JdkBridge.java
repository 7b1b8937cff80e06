package org.fdcap.agent.jdk;

import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import org.fdcap.agent.bootstrap.JdkFileSystem;

/**
 * The agent's class inside java.base, {@code sun.nio.fs.FdcapFileSystemCalls} (source in
 * {@code agent/src/main/jdk-bridge}, kept in the jar as {@code FdcapFileSystemCalls.bin}), defined
 * on first use: the JDK internals that {@link JdkAccess} and {@link JdkCalls} call, reached
 * through one interface ({@link JdkFileSystem}) instead of a method handle each.
 */
final class JdkBridge {
    private JdkBridge() {
    }

    /**
     * The class's one instance. Needs {@code sun.nio.fs} open to the agent, and java.base reading
     * the bootstrap classes' module ({@link JdkAccess#open}; in the unit tests, the JVM options).
     *
     * @throws ExceptionInInitializerError the class could not be defined or initialized here
     */
    static JdkFileSystem calls() {
        return Holder.CALLS;
    }

    private static final class Holder {
        static final JdkFileSystem CALLS;

        static {
            try {
                CALLS = define();
            } catch (Exception e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private static JdkFileSystem define() throws Exception {
            JdkFileSystem registered = JdkFileSystem.Registration.get();
            if (registered != null) {
                return registered; // defined by another agent class loader in this JVM (the tests)
            }
            byte[] bytes;
            try (InputStream in = JdkBridge.class.getResourceAsStream("FdcapFileSystemCalls.bin")) {
                if (in == null) {
                    throw new IllegalStateException("FdcapFileSystemCalls.bin is missing from the agent");
                }
                bytes = in.readAllBytes();
            }
            Class<?> dispatcher = Class.forName("sun.nio.fs.UnixNativeDispatcher");
            MethodHandles.Lookup fs = MethodHandles.privateLookupIn(dispatcher, MethodHandles.lookup());
            // Its static initializer registers its instance.
            fs.ensureInitialized(fs.defineClass(bytes));
            JdkFileSystem calls = JdkFileSystem.Registration.get();
            if (calls == null) {
                throw new IllegalStateException("sun.nio.fs.FdcapFileSystemCalls did not register");
            }
            return calls;
        }
    }
}
