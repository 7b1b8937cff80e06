package org.fdcap.agent.ops;

import java.io.File;
import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** The agent's version: {@code Implementation-Version} in the manifest of {@code fdcap-agent.jar}. */
public final class AgentVersion {
    /** What {@link #of} answers when the jar says nothing (classes run from a build directory). */
    static final String UNKNOWN = "unknown";

    private AgentVersion() {
    }

    /** The version written in {@code agentJar}'s manifest (set by the build), or {@value #UNKNOWN}. */
    public static String of(File agentJar) {
        try (JarFile jar = new JarFile(agentJar, false)) {
            Manifest manifest = jar.getManifest();
            String version = manifest == null ? null
                    : manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
            return version == null || version.isBlank() ? UNKNOWN : version.trim();
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }
}
