package org.fdcap.agent.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where the agent's settings come from, and which wins: the agent argument, then the system
 * properties, then the environment, then the configuration file, then the defaults. Every
 * setting has one name ({@code fdcap.max}) and the same spelling rule in each source:
 *
 * <ul>
 *   <li>agent argument: {@code max=200,reserve=16} (the name without {@code fdcap.}, or with it);
 *       a comma separates settings except inside braces, so the glob {@code **.{log,tmp}} can be
 *       written there as it is;</li>
 *   <li>system property: {@code -Dfdcap.max=200};</li>
 *   <li>environment variable: the name in upper case, dots and dashes turned into underscores
 *       ({@code FDCAP_MAX}, {@code FDCAP_UNLINKED_DIR});</li>
 *   <li>configuration file ({@code fdcap.config.file}, named by any of the sources above): a
 *       {@link Properties} file in UTF-8 whose keys are the full names ({@code fdcap.max=200}).</li>
 * </ul>
 *
 * <p>Only the argument splits a value: in the others a value is taken whole, commas included.
 * Names that are not settings are refused rather than ignored (a misspelt one would silently do
 * nothing): an unknown {@code fdcap.*} property, an unknown {@code FDCAP_*} variable, any key of
 * the file that is not a setting.
 */
final class ConfigSources {
    static final String PREFIX = "fdcap.";
    static final String ENV_PREFIX = "FDCAP_";
    static final String CONFIG_FILE = "config.file";

    private ConfigSources() {
    }

    /** A value and where it came from, for the error line that names it. */
    static final class Setting {
        final String value;
        /** {@code agent argument}, {@code system property}, {@code environment variable FDCAP_MAX}, {@code file /x}. */
        final String origin;

        Setting(String value, String origin) {
            this.value = value;
            this.origin = origin;
        }
    }

    /**
     * Every setting given in any source, by name without prefix, each from the source that wins.
     *
     * @param readFile whether to read the configuration file (false: only check its name)
     * @throws ConfigException an unknown name, a malformed argument, or a configuration file that
     *     cannot be read or names something that is not a setting
     */
    static Map<String, Setting> collect(List<String> keys, String agentArgs, Properties properties,
            Map<String, String> environment, boolean readFile) throws ConfigException {
        Map<String, Setting> argument = argument(keys, agentArgs);
        Map<String, Setting> system = properties(keys, properties);
        Map<String, Setting> env = environment(keys, environment);
        Map<String, Setting> values = new LinkedHashMap<>();
        Setting file = argument.getOrDefault(CONFIG_FILE, system.getOrDefault(CONFIG_FILE, env.get(CONFIG_FILE)));
        if (file != null && readFile) {
            values.putAll(file(keys, file));
        }
        values.putAll(env);
        values.putAll(system);
        values.putAll(argument);
        return values;
    }

    /** The environment variable of a setting: {@code unlinked.dir} is {@code FDCAP_UNLINKED_DIR}. */
    static String environmentName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Map<String, Setting> argument(List<String> keys, String agentArgs) throws ConfigException {
        Map<String, Setting> out = new LinkedHashMap<>();
        if (agentArgs == null || agentArgs.isBlank()) {
            return out;
        }
        for (String pair : splitArgument(agentArgs)) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = (eq < 0 ? pair : pair.substring(0, eq)).trim();
            if (key.startsWith(PREFIX)) {
                key = key.substring(PREFIX.length());
            }
            if (!keys.contains(key) || eq < 0) {
                throw new ConfigException("invalid agent argument '" + pair.trim() + "': expected key=value"
                        + " pairs separated by commas, with keys among " + String.join(", ", keys));
            }
            out.put(key, new Setting(pair.substring(eq + 1), "agent argument"));
        }
        return out;
    }

    /** Splits {@code a=1,b={x,y},c=2} at the commas outside braces (a glob's alternatives). */
    static List<String> splitArgument(String agentArgs) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < agentArgs.length(); i++) {
            char c = agentArgs.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && depth > 0) {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(agentArgs.substring(start, i));
                start = i + 1;
            }
        }
        out.add(agentArgs.substring(start));
        return out;
    }

    private static Map<String, Setting> properties(List<String> keys, Properties properties) throws ConfigException {
        Map<String, Setting> out = new LinkedHashMap<>();
        for (String name : new TreeMap<>(asMap(properties)).keySet()) {
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String key = name.substring(PREFIX.length());
            if (!keys.contains(key)) {
                // A misspelt setting (fdcap.maximum, fdcap.unlinked-dir) would silently do nothing.
                throw new ConfigException("unknown setting " + name + "=" + properties.getProperty(name)
                        + " (system property): expected one of " + PREFIX + String.join(", " + PREFIX, keys));
            }
            out.put(key, new Setting(properties.getProperty(name), "system property"));
        }
        return out;
    }

    private static Map<String, Setting> environment(List<String> keys, Map<String, String> environment)
            throws ConfigException {
        Map<String, String> byName = new LinkedHashMap<>();
        for (String key : keys) {
            byName.put(environmentName(key), key);
        }
        Map<String, Setting> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ENV_PREFIX)) {
                continue;
            }
            String key = byName.get(name);
            if (key == null) {
                // Named without its value: a variable of something else could hold a secret.
                throw new ConfigException("unknown environment variable " + name + ": expected one of "
                        + String.join(", ", byName.keySet()));
            }
            out.put(key, new Setting(e.getValue(), "environment variable " + name));
        }
        return out;
    }

    private static Map<String, Setting> file(List<String> keys, Setting named) throws ConfigException {
        Path path = configFilePath(named);
        String origin = "file " + path;
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            throw unreadable(named, path, "no such file");
        } catch (AccessDeniedException e) {
            throw unreadable(named, path, "permission denied");
        } catch (CharacterCodingException e) {
            throw unreadable(named, path, "not UTF-8 text");
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: a malformed Unicode escape; IOException: a directory, ...
            throw unreadable(named, path, Files.isDirectory(path) ? "a directory"
                    : e.getMessage() == null ? e.toString() : e.getMessage());
        }
        Map<String, Setting> out = new LinkedHashMap<>();
        for (String name : new TreeMap<>(asMap(p)).keySet()) {
            String key = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : null;
            if (CONFIG_FILE.equals(key)) {
                throw new ConfigException("invalid " + name + " in " + origin + ": a configuration file cannot"
                        + " name another; set it as a system property, environment variable or agent argument");
            }
            if (key == null || !keys.contains(key)) {
                throw new ConfigException("unknown setting " + name + " in " + origin + ": expected one of "
                        + PREFIX + String.join(", " + PREFIX, keys));
            }
            out.put(key, new Setting(p.getProperty(name), origin));
        }
        return out;
    }

    /** The configuration file's path, resolved against the working directory. */
    static Path configFilePath(Setting named) throws ConfigException {
        try {
            if (!named.value.isBlank()) {
                return Paths.get(named.value.trim()).toAbsolutePath();
            }
        } catch (InvalidPathException e) {
            // reported below
        }
        throw new ConfigException("invalid " + PREFIX + CONFIG_FILE + "=" + named.value + " (" + named.origin
                + "): expected the path of a properties file");
    }

    private static ConfigException unreadable(Setting named, Path path, String why) {
        return new ConfigException("cannot read the configuration file " + path + " (" + PREFIX + CONFIG_FILE
                + " from " + named.origin + "): " + why);
    }

    private static Map<String, String> asMap(Properties properties) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            m.put(name, properties.getProperty(name));
        }
        return m;
    }
}
