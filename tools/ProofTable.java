import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Renders JUnit XML reports (surefire and failsafe) of one run per JDK into the markdown table of
 * docs/proof.md: one row per integration-test scenario (failsafe, one per test method), one row
 * per unit-test class (surefire), a column per JDK with pass / FAIL / skipped and the time.
 *
 * <p>Usage: {@code java tools/ProofTable.java reportsDirJdk17 reportsDirJdk25 ...} (run by
 * tools/proof-table.sh; the directory names end with the JDK, e.g. target/proof/jdk17).
 */
public class ProofTable {
    private static final Pattern CASE = Pattern.compile(
            "<testcase\\s+([^>]*?)(/>|>(.*?)</testcase>)", Pattern.DOTALL);
    private static final Pattern ATTR = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    public static void main(String[] args) throws IOException {
        List<String> jdks = new ArrayList<>();
        Map<String, Map<String, String>> rows = new TreeMap<>();
        for (String dir : args) {
            String jdk = "JDK " + dir.replaceAll(".*?(\\d+)/?$", "$1");
            jdks.add(jdk);
            Map<String, long[]> unitClasses = new LinkedHashMap<>();
            try (Stream<Path> files = Files.list(Path.of(dir))) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    if (!f.getFileName().toString().startsWith("TEST-")) {
                        continue;
                    }
                    String xml = Files.readString(f);
                    Matcher m = CASE.matcher(xml);
                    while (m.find()) {
                        Map<String, String> a = attributes(m.group(1));
                        String body = m.group(3) == null ? "" : m.group(3);
                        String cls = a.getOrDefault("classname", "?");
                        String simple = cls.substring(cls.lastIndexOf('.') + 1);
                        String result = body.contains("<failure") ? "FAIL"
                                : body.contains("<error") ? "ERROR" : body.contains("<skipped") ? "skipped" : "pass";
                        double time = Double.parseDouble(a.getOrDefault("time", "0").replace(",", ""));
                        if (simple.endsWith("IT")) {
                            rows.computeIfAbsent("`" + simple + "` " + sentence(a.get("name")), k -> new TreeMap<>())
                                    .put(jdk, result + String.format(Locale.ROOT, " (%.0f s)", time));
                        } else {
                            long[] c = unitClasses.computeIfAbsent(simple, k -> new long[3]);
                            c[result.equals("pass") ? 0 : result.equals("skipped") ? 2 : 1]++;
                        }
                    }
                }
            }
            for (Map.Entry<String, long[]> e : unitClasses.entrySet()) {
                long[] c = e.getValue();
                String result = c[1] > 0 ? "FAIL (" + c[1] + " of " + (c[0] + c[1] + c[2]) + ")"
                        : "pass (" + c[0] + " tests" + (c[2] > 0 ? ", " + c[2] + " skipped" : "") + ")";
                rows.computeIfAbsent("unit tests `" + e.getKey() + "`", k -> new TreeMap<>()).put(jdk, result);
            }
        }
        StringBuilder out = new StringBuilder("| scenario |");
        for (String jdk : jdks) {
            out.append(' ').append(jdk).append(" |");
        }
        out.append("\n|---|");
        out.append("---|".repeat(jdks.size())).append('\n');
        List<String> keys = new ArrayList<>(rows.keySet());
        keys.sort((x, y) -> Boolean.compare(x.startsWith("unit"), y.startsWith("unit")) != 0
                ? Boolean.compare(x.startsWith("unit"), y.startsWith("unit")) : x.compareTo(y));
        for (String row : keys) {
            out.append("| ").append(row).append(" |");
            for (String jdk : jdks) {
                out.append(' ').append(rows.get(row).getOrDefault(jdk, "missing")).append(" |");
            }
            out.append('\n');
        }
        System.out.print(out);
    }

    private static Map<String, String> attributes(String s) {
        Map<String, String> a = new LinkedHashMap<>();
        Matcher m = ATTR.matcher(s);
        while (m.find()) {
            a.put(m.group(1), m.group(2));
        }
        return a;
    }

    /** {@code aFullDiskGivesTheSameErrors} -> "a full disk gives the same errors". */
    private static String sentence(String camel) {
        if (camel == null) {
            return "?";
        }
        String name = camel.replaceAll("\\(.*", "");
        return name.replaceAll("([a-z0-9])([A-Z])", "$1 $2").replaceAll("([A-Z])([A-Z][a-z])", "$1 $2")
                .replaceAll("([a-zA-Z])([0-9])", "$1 $2").toLowerCase(Locale.ROOT);
    }
}
