package org.fdcap.agent.config;

/**
 * A setting has a value the agent cannot accept. The message is one line naming the property and
 * what it accepts; the agent prints it and lets the program run without fdcap.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
