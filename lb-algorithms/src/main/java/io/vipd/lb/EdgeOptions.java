package io.vipd.lb;

import java.util.List;
import java.util.Locale;

/**
 * The per-service settings an edge operator takes from HAProxy or Envoy and kube-proxy has no word for:
 * connection limits, the PROXY protocol accepted from an upstream balancer, and the TLS server names that
 * route a shared listen address by SNI. {@link #NONE} turns every one off, and then a connection costs nothing
 * extra. Immutable.
 *
 * @param maxConnections           open connections of the service; beyond it listeners stop accepting (0: no
 *                                 limit)
 * @param maxConnectionsPerBackend open connections per backend; a full backend is skipped (0: no limit)
 * @param acceptProxyProtocol      every client connection starts with a PROXY v1 or v2 header
 * @param serverNames              TLS server names (lower case; "*.example.org" matches any name below
 *                                 example.org) that pick this service on a listen address it shares; empty: none
 */
public record EdgeOptions(
        int maxConnections, int maxConnectionsPerBackend, boolean acceptProxyProtocol, List<String> serverNames) {
    public static final EdgeOptions NONE = new EdgeOptions(0, 0, false, List.of());

    public EdgeOptions {
        if (maxConnections < 0 || maxConnectionsPerBackend < 0) {
            throw new IllegalArgumentException("connection limits must not be negative (0 means no limit)");
        }
        serverNames = serverNames.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
        for (String name : serverNames) {
            checkServerName(name);
        }
    }

    /** Whether a new connection needs more than the plain path: a header to read or a limit to count. */
    public boolean any() {
        return maxConnections > 0 || maxConnectionsPerBackend > 0 || acceptProxyProtocol || !serverNames.isEmpty();
    }

    /**
     * Checks a server name as a ClientHello carries it: DNS labels, optionally a leading "*." wildcard.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void checkServerName(String name) {
        String host = name.startsWith("*.") ? name.substring(2) : name;
        if (!host.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*")
                || host.length() > 253) {
            throw new IllegalArgumentException("\"" + name
                    + "\" is not a server name (DNS labels separated by '.', optionally starting with \"*.\")");
        }
    }
}
