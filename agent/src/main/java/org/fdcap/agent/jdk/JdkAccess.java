package org.fdcap.agent.jdk;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.Set;
import org.fdcap.agent.bootstrap.FdBridge;
import org.fdcap.agent.bootstrap.JdkFileSystem;
import org.fdcap.agent.managed.ManagedTable;

/**
 * The JDK internals the agent needs, reached once at start through
 * {@link Instrumentation#redefineModule}: {@code jdk.internal.access.JavaIOFileDescriptorAccess}
 * (swap the number inside a {@link FileDescriptor} with the JDK's own cleanup handling; called by
 * the agent's class inside java.base, {@link JdkBridge}) and the
 * private {@code fd} fields of {@link RandomAccessFile} and {@code sun.nio.ch.FileChannelImpl};
 * {@code sun.nio.fs} and {@code sun.nio.ch} are also opened for {@link JdkCalls}.
 *
 * <p>Why the access object and not a field write: {@code FileDescriptor}'s {@code FileCleanable}
 * remembers the raw number at registration; {@code close(fdo)} unregisters it before closing, and
 * {@code registerCleanup(fdo)} registers a new one for the new number. Otherwise a later GC could
 * close a number that now belongs to another file.
 */
public final class JdkAccess {
    /** {@code JavaIOFileDescriptorAccess}, called from inside java.base ({@link JdkBridge}). */
    private static JdkFileSystem fds;
    private static VarHandle rafFd;
    private static VarHandle channelFd;
    private static Class<?> channelClass;

    private JdkAccess() {
    }

    /**
     * Opens what the agent needs: java.base reads the bridge's module (advice inlined into JDK
     * classes calls it) and exports/opens the internals to the agent's module; java.io is also
     * opened to the bridge, which calls RandomAccessFile's own methods for a subclass's super calls;
     * java.lang to the agent's module, for {@code ClassLoader.findLoadedClass} (the call-site
     * rewriting asks whether a call's owner is already loaded).
     */
    public static void open(Instrumentation inst, Module agentModule, Module bridgeModule) throws ReflectiveOperationException {
        Module javaBase = Object.class.getModule();
        inst.redefineModule(javaBase,
                Set.of(bridgeModule, agentModule),
                Map.of("jdk.internal.access", Set.of(agentModule)),
                Map.of("java.io", Set.of(agentModule, bridgeModule), "sun.nio.ch", Set.of(agentModule),
                        "sun.nio.fs", Set.of(agentModule), "java.lang", Set.of(agentModule)),
                Set.of(), Map.of());
        try {
            fds = JdkBridge.calls();
        } catch (ExceptionInInitializerError e) {
            throw new IllegalStateException("could not define fdcap's class in java.base: " + e.getCause(), e);
        }
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        rafFd = MethodHandles.privateLookupIn(RandomAccessFile.class, lookup)
                .findVarHandle(RandomAccessFile.class, "fd", FileDescriptor.class);
        channelClass = Class.forName("sun.nio.ch.FileChannelImpl");
        channelFd = MethodHandles.privateLookupIn(channelClass, lookup)
                .findVarHandle(channelClass, "fd", FileDescriptor.class);
        ManagedTable.requireIndexField();
        FdBridge.requireJdkMethods();
    }

    /** The number inside {@code fdo} (-1 when closed or suspended). */
    public static int get(FileDescriptor fdo) {
        return fds.fd(fdo);
    }

    /** Puts {@code fd} into {@code fdo} (no cleanup registered). */
    public static void set(FileDescriptor fdo, int fd) {
        fds.setFd(fdo, fd);
    }

    /** Unregisters the cleanup, closes the descriptor and sets -1, under the object's monitor. */
    public static void close(FileDescriptor fdo) throws IOException {
        fds.closeFd(fdo);
    }

    /** Registers the JDK's {@code FileCleanable} for the number now inside {@code fdo}. */
    public static void registerCleanup(FileDescriptor fdo) {
        fds.registerCleanup(fdo);
    }

    /** The {@code FileDescriptor} of a {@code RandomAccessFile}. */
    public static FileDescriptor fdOf(RandomAccessFile raf) {
        return (FileDescriptor) rafFd.get(raf);
    }

    /** The {@code FileDescriptor} of a {@code FileChannelImpl}, or null for any other object. */
    public static FileDescriptor fdOfChannel(Object channel) {
        return channel != null && channel.getClass() == channelClass ? (FileDescriptor) channelFd.get(channel) : null;
    }
}
