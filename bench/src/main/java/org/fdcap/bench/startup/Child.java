package org.fdcap.bench.startup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A child JVM (the JDK running the benchmark) with or without the agent; its output, checked. */
final class Child {
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private Child() {
    }

    /** The agent jar: {@code -Dfdcap.agent.jar}, by default the one built in this checkout. */
    static Path agentJar() {
        Path jar = Path.of(System.getProperty("fdcap.agent.jar", "agent/target/fdcap-agent.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no agent jar at " + jar
                    + ": build it (mvn -B -DskipTests package) or set -Dfdcap.agent.jar");
        }
        return jar;
    }

    /**
     * {@code java [-javaagent:jar[=agentArgs] -Dfdcap.cache=false] rest...}: without the cache of
     * instrumented JDK types, so that no run leaves one in the user's home.
     */
    static List<String> command(boolean agent, String agentArgs, List<String> rest) {
        return command(agent, agentArgs, null, rest);
    }

    /**
     * The same, with the cache of instrumented JDK types in {@code cacheDir} (null: no cache).
     */
    static List<String> command(boolean agent, String agentArgs, Path cacheDir, List<String> rest) {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        if (agent) {
            cmd.add("-javaagent:" + agentJar() + (agentArgs == null ? "" : "=" + agentArgs));
            cmd.add(cacheDir == null ? "-Dfdcap.cache=false" : "-Dfdcap.cache.dir=" + cacheDir);
        }
        cmd.addAll(rest);
        return cmd;
    }

    /** Runs {@code cmd} to its end; its stdout and stderr together. Fails unless it exits with 0. */
    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        int exit = p.waitFor();
        String text = new String(out, StandardCharsets.UTF_8);
        if (exit != 0) {
            throw new IllegalStateException("exit " + exit + ": " + String.join(" ", cmd) + "\n" + text);
        }
        return text;
    }
}
