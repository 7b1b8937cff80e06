package org.fdcap.agent.jdk;

import java.io.File;
import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Grants native access to jffi (the native half of jnr, which loads its stub library with
 * {@code System.load}) without touching the host's settings, so JDK 22+ does not print its
 * "restricted method" warning (JEP 472). An agent jar cannot use the {@code Enable-Native-Access}
 * manifest attribute, and {@code --enable-native-access=ALL-UNNAMED} would be the host's choice to
 * make; instead jffi's packages become a named module of the agent's own class loader, in a module
 * layer the agent defines, and native access is enabled for that module alone (through
 * {@code JavaLangAccess}, which {@link JdkAccess#open} exported to the agent).
 *
 * <p>Must run after {@link JdkAccess#open} and before any jffi class is loaded. On JDK 17-21 there is nothing to do.
 */
public final class NativeAccess {
    static final String MODULE = "org.fdcap.jffi";
    private static final String PREFIX = "inst/";

    private NativeAccess() {
    }

    /** Defines the jffi module and enables its native access; false when not needed or not possible. */
    public static boolean grantToJffi(File agentJar, ClassLoader agentLoader) throws Exception {
        if (Runtime.version().feature() < 22) {
            return false;
        }
        Set<String> packages = new HashSet<>();
        try (JarFile jar = new JarFile(agentJar, false)) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                String name = e.nextElement().getName();
                if (name.startsWith(PREFIX + "com/kenai/jffi/") && name.endsWith(".classdata")) {
                    String pkg = name.substring(PREFIX.length(), name.lastIndexOf('/')).replace('/', '.');
                    packages.add(pkg);
                }
            }
        }
        if (packages.isEmpty()) {
            return false;
        }
        ModuleDescriptor descriptor = ModuleDescriptor.newAutomaticModule(MODULE).packages(packages).build();
        ModuleReference reference = new ModuleReference(descriptor, agentJar.toURI()) {
            @Override
            public ModuleReader open() {
                return new EmptyReader();
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String name) {
                return MODULE.equals(name) ? Optional.of(reference) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(reference);
            }
        };
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolve(finder, ModuleFinder.of(), Set.of(MODULE));
        ModuleLayer.Controller controller = ModuleLayer.defineModules(cf, List.of(boot), name -> agentLoader);
        Module jffi = controller.layer().findModule(MODULE).orElseThrow();
        // Controller.enableNativeAccess is itself restricted (the caller would need native access);
        // the JDK's internal entry point is not, and java.base exports it to the agent (JdkAccess).
        Object jla = Class.forName("jdk.internal.access.SharedSecrets").getMethod("getJavaLangAccess").invoke(null);
        Class.forName("jdk.internal.access.JavaLangAccess").getMethod("addEnableNativeAccess", Module.class)
                .invoke(jla, jffi);
        return true;
    }

    /** The agent's class loader finds the module's classes itself; the layer never reads them. */
    private static final class EmptyReader implements ModuleReader {
        @Override
        public Optional<URI> find(String name) {
            return Optional.empty();
        }

        @Override
        public Stream<String> list() {
            return Stream.empty();
        }

        @Override
        public void close() throws IOException {
        }
    }
}
