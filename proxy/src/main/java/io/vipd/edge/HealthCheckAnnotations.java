package io.vipd.edge;

import io.fabric8.kubernetes.api.model.Service;
import io.vipd.lb.NamespacedName;
import io.vipd.proxy.HealthCheck;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Active health checks given to {@code vipd edge} as Service annotations, the compact format's
 * {@code healthCheck:} fields under {@code vipd.io/}: {@value #TYPE} (tcp or http; present: the Service is
 * checked), {@value #PATH}, {@value #PORT}, {@value #INTERVAL}, {@value #TIMEOUT}, {@value #RISE},
 * {@value #FALL}. Every port of the Service is checked; a UDP port only when {@value #PORT} names a TCP port to
 * check.
 */
final class HealthCheckAnnotations {
    static final String PREFIX = "vipd.io/health-check-";
    static final String TYPE = PREFIX + "type";
    static final String PATH = PREFIX + "path";
    static final String PORT = PREFIX + "port";
    static final String INTERVAL = PREFIX + "interval";
    static final String TIMEOUT = PREFIX + "timeout";
    static final String RISE = PREFIX + "rise";
    static final String FALL = PREFIX + "fall";
    private static final List<String> ALL = List.of(TYPE, PATH, PORT, INTERVAL, TIMEOUT, RISE, FALL);

    private HealthCheckAnnotations() {}

    /** The check of every annotated Service, by Service. */
    static Map<NamespacedName, HealthCheck> read(String file, List<Service> services) throws EdgeConfigException {
        Map<NamespacedName, HealthCheck> out = new LinkedHashMap<>();
        for (Service s : services) {
            Map<String, String> a =
                    s.getMetadata() == null ? null : s.getMetadata().getAnnotations();
            if (a == null) {
                continue;
            }
            String ns = s.getMetadata().getNamespace();
            NamespacedName name = NamespacedName.of(
                    ns == null || ns.isEmpty() ? "default" : ns, s.getMetadata().getName());
            HealthCheck check = parse(file, name, a);
            if (check != null) {
                out.put(name, check);
            }
        }
        return out;
    }

    private static HealthCheck parse(String file, NamespacedName service, Map<String, String> a)
            throws EdgeConfigException {
        for (String key : a.keySet()) {
            if (key.startsWith(PREFIX) && !ALL.contains(key)) {
                throw error(file, service, key, "unknown annotation (want one of " + String.join(", ", ALL) + ")");
            }
        }
        if (!a.containsKey(TYPE)) {
            for (String key : ALL) {
                if (a.containsKey(key)) {
                    throw error(file, service, key, "set " + TYPE + " (tcp or http) to check this Service's backends");
                }
            }
            return null;
        }
        try {
            HealthCheck.Type type = HealthCheck.Type.parse(a.get(TYPE).trim());
            if (a.containsKey(PATH) && type != HealthCheck.Type.HTTP) {
                throw error(file, service, PATH, "a path is for http checks only");
            }
            Duration interval = duration(file, service, a, INTERVAL, HealthCheck.DEFAULT_INTERVAL);
            Duration timeout = duration(
                    file,
                    service,
                    a,
                    TIMEOUT,
                    HealthCheck.DEFAULT_TIMEOUT.compareTo(interval) > 0 ? interval : HealthCheck.DEFAULT_TIMEOUT);
            return new HealthCheck(
                    type,
                    a.getOrDefault(PATH, "/").trim(),
                    integer(file, service, a, PORT, 0, 1, 65535),
                    interval,
                    timeout,
                    integer(file, service, a, RISE, HealthCheck.DEFAULT_RISE, 1, HealthCheck.MAX_RISE_FALL),
                    integer(file, service, a, FALL, HealthCheck.DEFAULT_FALL, 1, HealthCheck.MAX_RISE_FALL));
        } catch (IllegalArgumentException e) {
            throw new EdgeConfigException(
                    file, 0, "Service " + service + ": annotations " + PREFIX + "*: " + e.getMessage());
        }
    }

    private static Duration duration(
            String file, NamespacedName service, Map<String, String> a, String key, Duration fallback)
            throws EdgeConfigException {
        String text = a.get(key);
        if (text == null) {
            return fallback;
        }
        try {
            return ConfigDuration.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw error(file, service, key, e.getMessage());
        }
    }

    private static int integer(
            String file, NamespacedName service, Map<String, String> a, String key, int fallback, int min, int max)
            throws EdgeConfigException {
        String text = a.get(key);
        if (text == null) {
            return fallback;
        }
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw error(file, service, key, "not a whole number: \"" + text + "\"");
        }
        if (value < min || value > max) {
            throw error(file, service, key, value + " is outside " + min + ".." + max);
        }
        return value;
    }

    private static EdgeConfigException error(String file, NamespacedName service, String key, String reason) {
        return new EdgeConfigException(file, 0, "Service " + service + ": annotation " + key + ": " + reason);
    }
}
