package io.vipd.watcher;

import io.vipd.lb.EdgeOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Service annotations that carry a service's connection handling ({@link EdgeOptions}), for manifests given
 * to {@code vipd edge} (read the same way from a cluster): limits, the PROXY protocol accepted from an upstream
 * balancer, and the TLS server names that route a shared address. A bad value is reported as a skip and that
 * setting left off, as with the other vipd.io annotations. Pure and static.
 */
public final class EdgeAnnotations {
    public static final String MAX_CONNECTIONS = "vipd.io/max-connections";
    public static final String MAX_CONNECTIONS_PER_BACKEND = "vipd.io/max-connections-per-backend";
    public static final String ACCEPT_PROXY_PROTOCOL = "vipd.io/accept-proxy-protocol";
    /** Comma-separated server names, e.g. "www.example.com,*.example.org". */
    public static final String SNI = "vipd.io/sni";

    private static final int MAX = 10_000_000;

    private EdgeAnnotations() {}

    /** The options the annotations set, or {@link EdgeOptions#NONE}. */
    static EdgeOptions read(Map<String, String> annotations, String object, Skips skips) {
        if (annotations == null) {
            return EdgeOptions.NONE;
        }
        int max = limit(annotations, MAX_CONNECTIONS, object, skips);
        int perBackend = limit(annotations, MAX_CONNECTIONS_PER_BACKEND, object, skips);
        boolean acceptProxy = false;
        String accept = annotations.get(ACCEPT_PROXY_PROTOCOL);
        if (accept != null) {
            if (accept.trim().equals("true") || accept.trim().equals("false")) {
                acceptProxy = accept.trim().equals("true");
            } else {
                skips.skipped(
                        SkipReason.BAD_SERVICE_FIELD,
                        object + " annotation " + ACCEPT_PROXY_PROTOCOL,
                        "want true or false, got \"" + accept + "\"; accepting none");
            }
        }
        List<String> names = new ArrayList<>();
        String sni = annotations.get(SNI);
        if (sni != null) {
            for (String part : sni.split(",")) {
                String name = part.trim().toLowerCase(java.util.Locale.ROOT);
                if (name.isEmpty()) {
                    continue;
                }
                try {
                    EdgeOptions.checkServerName(name);
                    if (!names.contains(name)) {
                        names.add(name);
                    }
                } catch (IllegalArgumentException e) {
                    skips.skipped(
                            SkipReason.BAD_SERVICE_FIELD,
                            object + " annotation " + SNI,
                            e.getMessage() + "; name left out");
                }
            }
        }
        EdgeOptions options = new EdgeOptions(max, perBackend, acceptProxy, names);
        return options.equals(EdgeOptions.NONE) ? EdgeOptions.NONE : options;
    }

    private static int limit(Map<String, String> annotations, String key, String object, Skips skips) {
        String text = annotations.get(key);
        if (text == null) {
            return 0;
        }
        try {
            int v = Integer.parseInt(text.trim());
            if (v >= 0 && v <= MAX) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        skips.skipped(
                SkipReason.BAD_SERVICE_FIELD,
                object + " annotation " + key,
                "\"" + text + "\" is not a whole number in 0.." + MAX + "; no limit");
        return 0;
    }
}
