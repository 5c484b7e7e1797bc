package io.vipd.nodeport;

import io.vipd.lb.NamespacedName;
import java.nio.charset.StandardCharsets;

/**
 * What one healthCheckNodePort answers: the service, its local ready endpoint count and whether the proxy
 * is healthy. Renders kube-proxy's status code and JSON body (healthcheck/service_health.go,
 * kube-proxy-semantics.md §1.7). Immutable.
 */
public record ServiceHealth(NamespacedName service, int localEndpoints, boolean proxyHealthy) {
    /** 200 when the node has a local ready endpoint and the proxy is healthy, else 503. */
    public int status() {
        return localEndpoints > 0 && proxyHealthy ? 200 : 503;
    }

    /** kube-proxy's body, byte for byte: dedented, tab-indented, no trailing newline. */
    public String body() {
        return "{\n"
                + "\t\"service\": {\n"
                + "\t\t\"namespace\": \"" + escape(service.namespace()) + "\",\n"
                + "\t\t\"name\": \"" + escape(service.name()) + "\"\n"
                + "\t},\n"
                + "\t\"localEndpoints\": " + localEndpoints + ",\n"
                + "\t\"serviceProxyHealthy\": " + proxyHealthy + "\n"
                + "}";
    }

    public byte[] bodyBytes() {
        return body().getBytes(StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
