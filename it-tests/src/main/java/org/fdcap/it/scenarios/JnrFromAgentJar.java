package org.fdcap.it.scenarios;

import java.io.File;

/**
 * jnr-posix as the agent's fallback uses it: loaded from the agent jar's {@code inst/} by the
 * agent's own class loader (the jar's bootstrap package, on this program's class path), it binds
 * libc and calls {@code getpid} and {@code stat}. Whether jnr-ffi binds through generated classes
 * (ASM, the default) or through reflection is the caller's {@code -Djnr.ffi.asm.enabled}.
 *
 * <p>Arguments: the agent jar, a file. Prints the pid jnr saw and this JVM's, and the file's size.
 */
public final class JnrFromAgentJar {
    private JnrFromAgentJar() {
    }

    public static void main(String[] args) throws Exception {
        ClassLoader agent = (ClassLoader) Class.forName("org.fdcap.agent.bootstrap.AgentClassLoader")
                .getConstructor(File.class).newInstance(new File(args[0]));
        Class<?> posixType = agent.loadClass("jnr.posix.POSIX");
        Object posix = agent.loadClass("jnr.posix.POSIXFactory").getMethod("getNativePOSIX").invoke(null);
        System.out.println("native " + posixType.getMethod("isNative").invoke(posix));
        System.out.println("pid " + posixType.getMethod("getpid").invoke(posix) + " " + ProcessHandle.current().pid());
        Object stat = posixType.getMethod("stat", String.class).invoke(posix, args[1]);
        System.out.println("size " + agent.loadClass("jnr.posix.FileStat").getMethod("st_size").invoke(stat));
    }
}
