package io.vipd.proxy;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The active health check of one service port's backends, as HAProxy's {@code check}: every {@code interval}
 * each backend is probed ({@code tcp}: a connect succeeds; {@code http}: {@code GET path} answers 2xx or 3xx
 * within {@code timeout}); {@code fall} consecutive failures take it out of new flows, {@code rise}
 * consecutive passes bring it back. Immutable.
 *
 * @param type     how a backend is probed
 * @param path     the HTTP request path (http only; "/" otherwise)
 * @param port     the port probed, or 0 for the backend's own
 * @param interval time between the start of one check of a backend and the next
 * @param timeout  how long one check may take, connect included; at most {@code interval}
 * @param rise     consecutive passes that bring a down backend back
 * @param fall     consecutive failures that take an up backend out
 */
public record HealthCheck(Type type, String path, int port, Duration interval, Duration timeout, int rise, int fall) {
    /** HAProxy's defaults: inter 2s, rise 2, fall 3. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_RISE = 2;
    public static final int DEFAULT_FALL = 3;
    public static final Duration MIN_INTERVAL = Duration.ofMillis(10);
    public static final Duration MAX_INTERVAL = Duration.ofHours(1);
    public static final int MAX_RISE_FALL = 100;

    /** How a backend is probed. */
    public enum Type {
        /** A TCP connect to the port succeeds. */
        TCP,
        /** {@code GET path} on the port answers with a 2xx or 3xx status. */
        HTTP;

        /** "tcp" or "http", as the configuration spells it. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Type parse(String text) {
            for (Type t : values()) {
                if (t.configName().equals(text)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("\"" + text + "\" is not tcp or http");
        }
    }

    public HealthCheck {
        Objects.requireNonNull(type, "type");
        path = path == null || path.isEmpty() ? "/" : path;
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException(
                    "path \"" + path + "\" must start with / and hold no spaces or controls");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException("interval " + interval.toMillis() + "ms is outside 10ms..1h");
        }
        if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(interval) > 0) {
            throw new IllegalArgumentException("timeout " + timeout.toMillis()
                    + "ms must be at least 1ms and at most the interval (" + interval.toMillis() + "ms)");
        }
        if (rise < 1 || rise > MAX_RISE_FALL || fall < 1 || fall > MAX_RISE_FALL) {
            throw new IllegalArgumentException("rise and fall must be 1.." + MAX_RISE_FALL);
        }
    }

    /** A check of {@code type} with every other setting at its default. */
    public static HealthCheck of(Type type) {
        return new HealthCheck(type, "/", 0, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_RISE, DEFAULT_FALL);
    }
}
