package org.fdcap.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code java -jar fdcap-agent.jar ...} (the agent's command line) and reads what it prints. */
final class AgentCli {
    private static final Pattern NUMBER = Pattern.compile("(\\w+)=(\\d+)");

    private AgentCli() {
    }

    static ChildJvm.Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ChildJvm.JAVA, "-jar", ChildJvm.AGENT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        // Small outputs: read after exit would block only if a pipe filled, so read as it runs.
        byte[][] outErr = new byte[2][];
        Thread t = new Thread(() -> {
            try {
                outErr[1] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                outErr[1] = new byte[0];
            }
        });
        t.start();
        outErr[0] = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        t.join();
        return new ChildJvm.Result(String.join(" ", cmd), p.exitValue(),
                new String(outErr[0], StandardCharsets.UTF_8), new String(outErr[1], StandardCharsets.UTF_8), 0, "");
    }

    /** The {@code name=number} pairs of the first line starting with {@code prefix}. */
    static Map<String, Long> numbers(String text, String prefix) {
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                Map<String, Long> m = new HashMap<>();
                Matcher x = NUMBER.matcher(line);
                while (x.find()) {
                    m.put(x.group(1), Long.parseLong(x.group(2)));
                }
                return m;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "' in:\n" + text);
    }
}
