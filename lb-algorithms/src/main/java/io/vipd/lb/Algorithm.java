package io.vipd.lb;

import java.util.Locale;

/** How a service port picks a backend for a new flow. */
public enum Algorithm {
    MAGLEV("maglev"),
    RANDOM("random"),
    ROUND_ROBIN("round-robin"),
    LEAST_CONNECTIONS("least-connections");

    private final String configName;

    Algorithm(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static Algorithm parse(String value) {
        if (value == null || value.isEmpty()) {
            return MAGLEV;
        }
        String v = value.toLowerCase(Locale.ROOT);
        for (Algorithm a : values()) {
            if (a.configName.equals(v) || a.name().equalsIgnoreCase(v)) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "unknown algorithm \"" + value + "\" (want maglev, random, round-robin or least-connections)");
    }
}
