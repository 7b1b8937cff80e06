package org.fdcap.agent.config;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.fdcap.agent.config.ConfigSources.Setting;
import org.fdcap.core.PrivateDirectory;

/**
 * The agent's settings, parsed once at start. Each comes from the agent argument
 * ({@code -javaagent:fdcap-agent.jar=max=200,reserve=16}), else a system property
 * ({@code -Dfdcap.max=200}), else an environment variable ({@code FDCAP_MAX=200}), else the
 * configuration file named by {@code fdcap.config.file}, else its default: see
 * {@link ConfigSources} for the spelling in each. Immutable.
 *
 * <p>Every value is validated here; a bad one is a {@link ConfigException} whose message is the
 * single line the agent prints before letting the program run without it, naming the setting,
 * where it came from and what it accepts.
 */
public final class AgentConfig {
    /** Descriptors left by default for what the agent cannot see (sockets, pipes, late JDK files). */
    public static final int DEFAULT_RESERVE = 16;
    /** Descriptors kept free ahead of need by default (at most an eighth of the capacity). */
    public static final int DEFAULT_SPARE = 16;

    static final String PREFIX = ConfigSources.PREFIX;
    /** Every setting, without the prefix. {@code debug.*} are debugging aids, refused like the rest when unknown. */
    static final List<String> KEYS = List.of("max", "reserve", "include", "exclude", "unlinked.dir", "log.level",
            "log.file", "stats", "enabled", "stats.interval", "leaks", "jmx", "getfd", "cache", "cache.dir", "spare",
            ConfigSources.CONFIG_FILE, "debug.transform");
    private static final List<String> LEVELS = List.of("off", "error", "warn", "info", "debug", "trace");

    private final Integer max;
    private final int reserve;
    private final int spare;
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
    /** What was given, and where: for the errors found after parsing (the cap too low for this process). */
    private final Map<String, Setting> given;

    /**
     * @param local whether the settings are for this JVM: paths are then checked in its file
     *     system; false only checks their syntax (for another JVM, {@link #checkArgument})
     */
    private AgentConfig(Map<String, Setting> v, boolean local) throws ConfigException {
        given = Collections.unmodifiableMap(v);
        enabled = parseBoolean(v, "enabled", true);
        max = v.containsKey("max") ? positiveInt(v, "max", 1,
                "a whole number of descriptors, at least 1 (the cap on all the process's open descriptors)") : null;
        reserve = v.containsKey("reserve") ? positiveInt(v, "reserve", 0,
                "a whole number of descriptors, 0 or more (left for descriptors fdcap does not manage)")
                : DEFAULT_RESERVE;
        spare = v.containsKey("spare") ? positiveInt(v, "spare", 0,
                "a whole number of descriptors, 0 or more (kept free ahead of need by a background thread; 0 for none)")
                : DEFAULT_SPARE;
        include = globs(v, "include");
        exclude = globs(v, "exclude");
        unlinkedDir = v.containsKey("unlinked.dir") ? directory(v.get("unlinked.dir"), local) : null;
        String level = word(v, "log.level", "warn");
        if (!LEVELS.contains(level)) {
            throw bad("log.level", v.get("log.level"), "one of off, error, warn, info, debug, trace");
        }
        logLevel = level;
        logFile = v.containsKey("log.file") ? logFile(v.get("log.file"), local) : null;
        String stats = word(v, "stats", "none");
        if (!stats.equals("none") && !stats.equals("exit")) {
            throw bad("stats", v.get("stats"), "none or exit (print the tracker's counters to stderr at exit)");
        }
        statsAtExit = stats.equals("exit");
        statsInterval = v.containsKey("stats.interval") ? interval(v.get("stats.interval")) : null;
        leaks = parseBoolean(v, "leaks", false);
        jmx = parseBoolean(v, "jmx", true);
        String getFd = word(v, "getfd", "follow");
        if (!getFd.equals("follow") && !getFd.equals("pin")) {
            throw bad("getfd", v.get("getfd"), "follow (a FileDescriptor from getFD() stays suspendable; its"
                    + " sync() and valid() restore it, a stream built on it pins it) or pin (getFD() pins for good)");
        }
        pinOnGetFd = getFd.equals("pin");
        cache = parseBoolean(v, "cache", true);
        cacheDir = v.containsKey("cache.dir") ? cacheDir(v.get("cache.dir")) : null;
        if (v.containsKey(ConfigSources.CONFIG_FILE)) {
            ConfigSources.configFilePath(v.get(ConfigSources.CONFIG_FILE));
        }
        debugTransform = parseBoolean(v, "debug.transform", false);
    }

    /**
     * Parses the settings of this JVM from every source.
     *
     * @param agentArgs the agent's argument string ({@code key=value,key=value}), may be null
     * @param properties the system properties ({@code fdcap.key=value})
     * @param environment the environment variables ({@code FDCAP_KEY=value}; {@link System#getenv()})
     * @throws ConfigException a value is invalid, a name is not a setting, or the configuration file
     *     cannot be read
     */
    public static AgentConfig parse(String agentArgs, Properties properties, Map<String, String> environment)
            throws ConfigException {
        return new AgentConfig(ConfigSources.collect(KEYS, agentArgs, properties, environment, true), true);
    }

    /** {@link #parse(String, Properties, Map)} without environment variables. */
    public static AgentConfig parse(String agentArgs, Properties properties) throws ConfigException {
        return parse(agentArgs, properties, Map.of());
    }

    /**
     * Checks an agent argument meant for another JVM ({@code attach}): the names, the syntax and
     * the ranges of its values, the same as that JVM will, but not what depends on that JVM's view
     * (whether a directory or log file is usable there, its configuration file, its properties and
     * environment). Touches no file.
     *
     * @throws ConfigException what that JVM would refuse, in the same words
     */
    public static void checkArgument(String agentArgs) throws ConfigException {
        new AgentConfig(ConfigSources.collect(KEYS, agentArgs, new Properties(), Map.of(), false), false);
    }

    /**
     * Where the setting {@code key} (without prefix) came from, for an error line: {@code agent
     * argument}, {@code system property}, {@code environment variable FDCAP_MAX}, {@code file
     * /etc/fdcap.properties}, or {@code default}.
     */
    public String origin(String key) {
        Setting s = given.get(key);
        return s == null ? "default" : s.origin;
    }

    /** {@code fdcap.enabled=false} turns the agent off. */
    public boolean enabled() {
        return enabled;
    }

    /** The cap on all the process's descriptors, or null for "the soft RLIMIT_NOFILE minus reserve". */
    public Integer max() {
        return max;
    }

    /**
     * Descriptors a background thread keeps free under the capacity ahead of need, so that a
     * restore on the program's thread finds room at once (at most an eighth of the capacity; 0 for
     * no thread).
     */
    public int spare() {
        return spare;
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
        return "max=" + (max == null ? "auto" : max) + " reserve=" + reserve + " spare=" + spare + " include=" + include + " exclude="
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

        public PathFilter(List<PathMatcher> include, List<PathMatcher> exclude) {
            this.include = include;
            this.exclude = exclude;
        }

        /** Whether the file at {@code absolute} (an absolute path) is to be managed. */
        public boolean test(String absolute) {
            if (include.isEmpty() && exclude.isEmpty()) {
                return true; // the default: no Path is made for each open
            }
            Path path = Paths.get(absolute);
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

    private static List<String> globs(Map<String, Setting> v, String key) throws ConfigException {
        Setting s = v.get(key);
        String raw = s == null ? null : s.value;
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
                throw bad(key, s, "path globs separated by '" + java.io.File.pathSeparator
                        + "', such as /data/**" + java.io.File.pathSeparator + "**.log (" + e.getMessage().split("\n")[0]
                        + ")");
            }
            out.add(glob);
        }
        return Collections.unmodifiableList(out);
    }

    private static int positiveInt(Map<String, Setting> v, String key, int min, String accepts) throws ConfigException {
        Setting s = v.get(key);
        try {
            int n = Integer.parseInt(s.value.trim());
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(key, s, accepts);
    }

    private static boolean parseBoolean(Map<String, Setting> v, String key, boolean dflt) throws ConfigException {
        String s = word(v, key, null);
        if (s == null) {
            return dflt;
        }
        if (s.equals("true")) {
            return true;
        }
        if (s.equals("false")) {
            return false;
        }
        throw bad(key, v.get(key), "true or false");
    }

    /** The value, trimmed and in lower case, or {@code dflt} when not given. */
    private static String word(Map<String, Setting> v, String key, String dflt) {
        Setting s = v.get(key);
        return s == null ? dflt : s.value.trim().toLowerCase(Locale.ROOT);
    }

    /** A duration such as {@code 30s}, {@code 500ms}, {@code 5m} or {@code 1h}; a bare number is seconds. */
    private static Duration interval(Setting s) throws ConfigException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)?")
                .matcher(s.value.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            Duration d = unit.equals("ms") ? Duration.ofMillis(n) : unit.equals("s") ? Duration.ofSeconds(n)
                    : unit.equals("m") ? Duration.ofMinutes(n) : Duration.ofHours(n);
            if (d.toMillis() >= 10) {
                return d;
            }
        }
        throw bad("stats.interval", s, "a duration of at least 10ms such as 30s, 500ms, 5m or 1h");
    }

    private static Path directory(Setting s, boolean local) throws ConfigException {
        try {
            Path p = Paths.get(s.value.trim()).toAbsolutePath();
            if (!local) {
                return p;
            }
            Path existing = p;
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == p) {
                String unsafe = unsafeDirectory(p);
                if (unsafe != null) {
                    throw bad("unlinked.dir", s, "a directory of this user closed to others (mode 700) or one"
                            + " that can be created, but it " + unsafe);
                }
            }
            if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
                throw bad("unlinked.dir", s, "a directory that exists or can be created (writable), on the same"
                        + " filesystem as the files the program deletes while open");
            }
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw bad("unlinked.dir", s, "a directory path");
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

    private static Path cacheDir(Setting s) throws ConfigException {
        try {
            if (s.value.isBlank()) {
                throw bad("cache.dir", s, "a directory path");
            }
            return Paths.get(s.value.trim()).toAbsolutePath();
        } catch (java.nio.file.InvalidPathException e) {
            throw bad("cache.dir", s, "a directory path");
        }
    }

    private static Path logFile(Setting s, boolean local) throws ConfigException {
        try {
            Path p = Paths.get(s.value.trim()).toAbsolutePath();
            Path dir = p.getParent();
            boolean usable = !s.value.isBlank() && dir != null;
            if (local) {
                usable = usable && Files.isDirectory(dir) && !Files.isDirectory(p)
                        && (Files.exists(p) ? Files.isWritable(p) : Files.isWritable(dir));
            }
            if (!usable) {
                throw bad("log.file", s, "a writable file in an existing directory");
            }
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw bad("log.file", s, "a file path");
        }
    }

    /** {@code invalid fdcap.max=lots (environment variable FDCAP_MAX): expected a whole number ...}. */
    private static ConfigException bad(String key, Setting s, String accepts) {
        return new ConfigException("invalid " + PREFIX + key + "=" + s.value + " (" + s.origin + "): expected "
                + accepts);
    }
}
