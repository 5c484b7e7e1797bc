package io.vipd.edge;

import io.vipd.lb.Protocol;
import io.vipd.proxy.HealthCheck;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * A compact-format service's {@code healthCheck:} block: {@code type} (tcp, the default, or http), {@code path}
 * (http only, default /), {@code port} (default: each backend's own; required for UDP services), {@code interval}
 * (2s), {@code timeout} (1s, at most the interval), {@code rise} (2) and {@code fall} (3).
 */
final class HealthCheckField {
    static final String NAME = "healthCheck";
    private static final Set<String> FIELDS =
            new LinkedHashSet<>(List.of("type", "path", "port", "interval", "timeout", "rise", "fall"));

    private HealthCheckField() {}

    /** The service's check, or null when it has none. */
    static HealthCheck parse(YamlNodes y, Node node, String path, Protocol protocol) throws EdgeConfigException {
        if (node == null || YamlNodes.isNull(node)) {
            return null;
        }
        Map<String, Node> f = y.mapping(node, path, FIELDS);
        HealthCheck.Type type = HealthCheck.Type.TCP;
        if (f.containsKey("type")) {
            try {
                type = HealthCheck.Type.parse(
                        y.scalar(f.get("type"), path + ".type").trim());
            } catch (IllegalArgumentException e) {
                throw y.error(f.get("type"), path + ".type", e.getMessage());
            }
        }
        String checkPath = "/";
        if (f.containsKey("path")) {
            if (type != HealthCheck.Type.HTTP) {
                throw y.error(f.get("path"), path + ".path", "a path is for http checks only");
            }
            checkPath = y.scalar(f.get("path"), path + ".path").trim();
        }
        int port = f.containsKey("port") ? y.integer(f.get("port"), path + ".port", 1, 65535) : 0;
        if (port == 0 && protocol == Protocol.UDP) {
            throw y.error(
                    node, path + ".port", "a UDP service's backends are checked over TCP: name the port to check");
        }
        Duration interval = duration(y, f.get("interval"), path + ".interval", HealthCheck.DEFAULT_INTERVAL);
        if (interval.compareTo(HealthCheck.MIN_INTERVAL) < 0 || interval.compareTo(HealthCheck.MAX_INTERVAL) > 0) {
            throw y.error(f.get("interval"), path + ".interval", "must be between 10ms and 1h");
        }
        Duration timeout = duration(
                y,
                f.get("timeout"),
                path + ".timeout",
                HealthCheck.DEFAULT_TIMEOUT.compareTo(interval) > 0 ? interval : HealthCheck.DEFAULT_TIMEOUT);
        if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(interval) > 0) {
            throw y.error(
                    f.containsKey("timeout") ? f.get("timeout") : node,
                    path + ".timeout",
                    "must be between 1ms and the interval (" + interval.toMillis() + "ms)");
        }
        int rise = f.containsKey("rise")
                ? y.integer(f.get("rise"), path + ".rise", 1, HealthCheck.MAX_RISE_FALL)
                : HealthCheck.DEFAULT_RISE;
        int fall = f.containsKey("fall")
                ? y.integer(f.get("fall"), path + ".fall", 1, HealthCheck.MAX_RISE_FALL)
                : HealthCheck.DEFAULT_FALL;
        try {
            return new HealthCheck(type, checkPath, port, interval, timeout, rise, fall);
        } catch (IllegalArgumentException e) {
            throw y.error(node, path, e.getMessage());
        }
    }

    private static Duration duration(YamlNodes y, Node node, String path, Duration fallback)
            throws EdgeConfigException {
        if (node == null) {
            return fallback;
        }
        try {
            return ConfigDuration.parse(y.scalar(node, path).trim());
        } catch (IllegalArgumentException e) {
            throw y.error(node, path, e.getMessage());
        }
    }
}
