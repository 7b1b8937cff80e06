package org.fdcap.agent;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The agent's settings, parsed once at start from the {@code fdcap.*} system properties and the
 * agent arguments ({@code -javaagent:fdcap-agent.jar=max=200,reserve=16}: the same names without
 * the prefix; an agent argument wins over the system property of the same name). Immutable.
 *
 * <p>Every value is validated here; a bad one is a {@link ConfigException} whose message is the
 * single line the agent prints before letting the program run without it.
 */
public final class AgentConfig {
    /** Descriptors left by default for what the agent cannot see (sockets, pipes, late JDK files). */
    public static final int DEFAULT_RESERVE = 16;

    static final String PREFIX = "fdcap.";
    /** Every setting, without the prefix. {@code debug.*} are debugging aids, refused like the rest when unknown. */
    static final List<String> KEYS = List.of("max", "reserve", "include", "exclude", "unlinked.dir", "log.level",
            "log.file", "stats", "enabled", "stats.interval", "leaks", "jmx", "getfd", "cache", "cache.dir",
            "debug.transform");
    private static final List<String> LEVELS = List.of("off", "error", "warn", "info", "debug", "trace");

    private final Integer max;
    private final int reserve;
    private final List<String> include;
    private final List<String> exclude;
    private final Path unlinkedDir;
    private final String logLevel;
    private final Path logFile;
    private final boolean statsAtExit;
    private final boolean enabled;
    private final Duration statsInterval;
    private final boolean leaks;
    private final boolean jmx;
    private final boolean pinOnGetFd;
    private final boolean cache;
    private final Path cacheDir;
    private final boolean debugTransform;

    private AgentConfig(Map<String, String> v) throws ConfigException {
        enabled = parseBoolean(v, "enabled", true);
        max = v.containsKey("max") ? positiveInt(v, "max", 1,
                "a whole number of descriptors, at least 1 (the cap on all the process's open descriptors)") : null;
        reserve = v.containsKey("reserve") ? positiveInt(v, "reserve", 0,
                "a whole number of descriptors, 0 or more (left for descriptors fdcap does not manage)")
                : DEFAULT_RESERVE;
        include = globs(v, "include");
        exclude = globs(v, "exclude");
        unlinkedDir = v.containsKey("unlinked.dir") ? directory(v.get("unlinked.dir")) : null;
        String level = v.getOrDefault("log.level", "warn").trim().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw bad("log.level", v.get("log.level"), "one of off, error, warn, info, debug, trace");
        }
        logLevel = level;
        logFile = v.containsKey("log.file") ? logFile(v.get("log.file")) : null;
        String stats = v.getOrDefault("stats", "none").trim().toLowerCase(Locale.ROOT);
        if (!stats.equals("none") && !stats.equals("exit")) {
            throw bad("stats", v.get("stats"), "none or exit (print the tracker's counters to stderr at exit)");
        }
        statsAtExit = stats.equals("exit");
        statsInterval = v.containsKey("stats.interval") ? interval(v.get("stats.interval")) : null;
        leaks = parseBoolean(v, "leaks", false);
        jmx = parseBoolean(v, "jmx", true);
        String getFd = v.getOrDefault("getfd", "follow").trim().toLowerCase(Locale.ROOT);
        if (!getFd.equals("follow") && !getFd.equals("pin")) {
            throw bad("getfd", v.get("getfd"), "follow (a FileDescriptor from getFD() stays suspendable; its"
                    + " sync() and valid() restore it, a stream built on it pins it) or pin (getFD() pins for good)");
        }
        pinOnGetFd = getFd.equals("pin");
        cache = parseBoolean(v, "cache", true);
        cacheDir = v.containsKey("cache.dir") ? cacheDir(v.get("cache.dir")) : null;
        debugTransform = parseBoolean(v, "debug.transform", false);
    }

    /**
     * Parses the settings.
     *
     * @param agentArgs the agent's argument string ({@code key=value,key=value}), may be null
     * @param properties the system properties ({@code fdcap.key=value})
     * @throws ConfigException a value is invalid, or an agent argument names no setting
     */
    public static AgentConfig parse(String agentArgs, Properties properties) throws ConfigException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : KEYS) {
            String value = properties.getProperty(PREFIX + key);
            if (value != null) {
                values.put(key, value);
            }
        }
        for (String name : properties.stringPropertyNames()) {
            // A misspelt setting (fdcap.maximum, fdcap.unlinked-dir) would silently do nothing.
            if (name.startsWith(PREFIX) && !KEYS.contains(name.substring(PREFIX.length()))) {
                throw new ConfigException("unknown setting " + name + "=" + properties.getProperty(name)
                        + ": expected one of " + PREFIX + String.join(", " + PREFIX, KEYS));
            }
        }
        if (agentArgs != null && !agentArgs.isBlank()) {
            for (String pair : agentArgs.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = (eq < 0 ? pair : pair.substring(0, eq)).trim();
                if (key.startsWith(PREFIX)) {
                    key = key.substring(PREFIX.length());
                }
                if (!KEYS.contains(key) || eq < 0) {
                    throw new ConfigException("invalid agent argument '" + pair.trim() + "': expected key=value"
                            + " pairs separated by commas, with keys among " + String.join(", ", KEYS));
                }
                values.put(key, pair.substring(eq + 1));
            }
        }
        return new AgentConfig(values);
    }

    /** {@code fdcap.enabled=false} turns the agent off. */
    public boolean enabled() {
        return enabled;
    }

    /** The cap on all the process's descriptors, or null for "the soft RLIMIT_NOFILE minus reserve". */
    public Integer max() {
        return max;
    }

    /** Descriptors left for what the agent does not manage, when {@link #max()} is not given. */
    public int reserve() {
        return reserve;
    }

    /** Path globs of files to manage; empty means every regular file. */
    public List<String> include() {
        return include;
    }

    /** Path globs of files never to manage. */
    public List<String> exclude() {
        return exclude;
    }

    /** The unlinked-file pool, or null (deleted-while-open files are then kept open). */
    public Path unlinkedDir() {
        return unlinkedDir;
    }

    /** off, error, warn, info, debug or trace. */
    public String logLevel() {
        return logLevel;
    }

    /** The log file, or null for stderr. */
    public Path logFile() {
        return logFile;
    }

    /** Whether the tracker's stats are printed to stderr at exit ({@code fdcap.stats=exit}). */
    public boolean statsAtExit() {
        return statsAtExit;
    }

    /** How often a one-line summary of the stats is logged, or null for never ({@code fdcap.stats.interval}). */
    public Duration statsInterval() {
        return statsInterval;
    }

    /** Whether opening stacks are recorded and files never closed are reported ({@code fdcap.leaks}). */
    public boolean leaks() {
        return leaks;
    }

    /** Whether the {@code org.fdcap:type=Tracker} MBean is registered ({@code fdcap.jmx}). */
    public boolean jmx() {
        return jmx;
    }

    /**
     * Whether {@code RandomAccessFile.getFD()} pins the descriptor for good ({@code fdcap.getfd=pin})
     * rather than only when a stream is built on it ({@code follow}, the default).
     */
    public boolean pinOnGetFd() {
        return pinOnGetFd;
    }

    /** Whether the instrumented JDK types are cached between starts ({@code fdcap.cache}, default true). */
    public boolean cache() {
        return cache;
    }

    /** Where they are cached ({@code fdcap.cache.dir}), or null for the default ({@code ~/.cache/fdcap}). */
    public Path cacheDir() {
        return cacheDir;
    }

    /** Whether every transformed class and transformation error is printed on stderr ({@code fdcap.debug.transform}). */
    public boolean debugTransform() {
        return debugTransform;
    }

    /** Compiles {@link #include()} and {@link #exclude()} into one predicate on absolute paths. */
    public PathFilter pathFilter() {
        return new PathFilter(matchers(include), matchers(exclude));
    }

    @Override
    public String toString() {
        return "max=" + (max == null ? "auto" : max) + " reserve=" + reserve + " include=" + include + " exclude="
                + exclude + " unlinked.dir=" + unlinkedDir + " log.level=" + logLevel + " log.file="
                + (logFile == null ? "stderr" : logFile) + " stats=" + (statsAtExit ? "exit" : "none")
                + (statsInterval == null ? "" : " stats.interval=" + statsInterval.toMillis() + "ms") + " leaks=" + leaks
                + " jmx=" + jmx + " getfd=" + (pinOnGetFd ? "pin" : "follow") + " cache="
                + (cache ? (cacheDir == null ? "default" : cacheDir) : "off");
    }

    /** Which absolute paths the agent manages. */
    public static final class PathFilter {
        private final List<PathMatcher> include;
        private final List<PathMatcher> exclude;

        PathFilter(List<PathMatcher> include, List<PathMatcher> exclude) {
            this.include = include;
            this.exclude = exclude;
        }

        /** Whether {@code path} (absolute) is to be managed. */
        public boolean test(Path path) {
            if (!include.isEmpty() && !any(include, path)) {
                return false;
            }
            return exclude.isEmpty() || !any(exclude, path);
        }

        private static boolean any(List<PathMatcher> matchers, Path path) {
            for (PathMatcher m : matchers) {
                if (m.matches(path)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static List<PathMatcher> matchers(List<String> globs) {
        List<PathMatcher> out = new ArrayList<>();
        for (String g : globs) {
            out.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
        }
        return out;
    }

    private static List<String> globs(Map<String, String> v, String key) throws ConfigException {
        String raw = v.get(key);
        if (raw == null || raw.isBlank()) {
            return Collections.emptyList();
        }
        List<String> out = new ArrayList<>();
        for (String g : raw.split(java.io.File.pathSeparator)) {
            String glob = g.trim();
            if (glob.isEmpty()) {
                continue;
            }
            try {
                FileSystems.getDefault().getPathMatcher("glob:" + glob);
            } catch (IllegalArgumentException e) {
                throw bad(key, raw, "path globs separated by '" + java.io.File.pathSeparator
                        + "', such as /data/**" + java.io.File.pathSeparator + "**.log (" + e.getMessage().split("\n")[0]
                        + ")");
            }
            out.add(glob);
        }
        return Collections.unmodifiableList(out);
    }

    private static int positiveInt(Map<String, String> v, String key, int min, String accepts) throws ConfigException {
        String raw = v.get(key);
        try {
            int n = Integer.parseInt(raw.trim());
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(key, raw, accepts);
    }

    private static boolean parseBoolean(Map<String, String> v, String key, boolean dflt) throws ConfigException {
        String raw = v.get(key);
        if (raw == null) {
            return dflt;
        }
        String s = raw.trim().toLowerCase(Locale.ROOT);
        if (s.equals("true")) {
            return true;
        }
        if (s.equals("false")) {
            return false;
        }
        throw bad(key, raw, "true or false");
    }

    /** A duration such as {@code 30s}, {@code 500ms}, {@code 5m} or {@code 1h}; a bare number is seconds. */
    private static Duration interval(String raw) throws ConfigException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)?")
                .matcher(raw.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            Duration d = unit.equals("ms") ? Duration.ofMillis(n) : unit.equals("s") ? Duration.ofSeconds(n)
                    : unit.equals("m") ? Duration.ofMinutes(n) : Duration.ofHours(n);
            if (d.toMillis() >= 10) {
                return d;
            }
        }
        throw bad("stats.interval", raw, "a duration of at least 10ms such as 30s, 500ms, 5m or 1h");
    }

    private static Path directory(String raw) throws ConfigException {
        try {
            Path p = Paths.get(raw.trim()).toAbsolutePath();
            Path existing = p;
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == p) {
                String unsafe = unsafeDirectory(p);
                if (unsafe != null) {
                    throw bad("unlinked.dir", raw, "a directory of this user closed to others (mode 700) or one"
                            + " that can be created, but it " + unsafe);
                }
            }
            if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
                throw bad("unlinked.dir", raw, "a directory that exists or can be created (writable), on the same"
                        + " filesystem as the files the program deletes while open");
            }
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw bad("unlinked.dir", raw, "a directory path");
        }
    }

    /**
     * Why an existing pool directory must not be used (it would expose deleted files to other
     * users, or let them be replaced), or null: the same rule core applies when it creates the pool.
     */
    private static String unsafeDirectory(Path p) {
        try {
            return PrivateDirectory.problem(p, 077);
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return "cannot be checked (" + e + ")";
        }
    }

    private static Path cacheDir(String raw) throws ConfigException {
        try {
            if (raw.isBlank()) {
                throw bad("cache.dir", raw, "a directory path");
            }
            return Paths.get(raw.trim()).toAbsolutePath();
        } catch (java.nio.file.InvalidPathException e) {
            throw bad("cache.dir", raw, "a directory path");
        }
    }

    private static Path logFile(String raw) throws ConfigException {
        try {
            Path p = Paths.get(raw.trim()).toAbsolutePath();
            Path dir = p.getParent();
            if (dir == null || !Files.isDirectory(dir) || Files.isDirectory(p)
                    || (Files.exists(p) ? !Files.isWritable(p) : !Files.isWritable(dir))) {
                throw bad("log.file", raw, "a writable file in an existing directory");
            }
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw bad("log.file", raw, "a file path");
        }
    }

    private static ConfigException bad(String key, String value, String accepts) {
        return new ConfigException("invalid " + PREFIX + key + "=" + value + ": expected " + accepts);
    }
}
