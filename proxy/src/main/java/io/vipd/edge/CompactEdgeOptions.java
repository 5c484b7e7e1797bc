package io.vipd.edge;

import io.vipd.lb.EdgeOptions;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The compact format's connection-handling fields of a service ({@code maxConnections},
 * {@code maxConnectionsPerBackend}, {@code acceptProxyProtocol}, {@code sni}) and the rule for listen addresses
 * that several services share: allowed for TCP services routed by TLS server name, each naming its own names
 * but for at most one, all agreeing on {@code acceptProxyProtocol}.
 */
final class CompactEdgeOptions {
    static final List<String> FIELDS =
            List.of("maxConnections", "maxConnectionsPerBackend", "acceptProxyProtocol", "sni");
    static final int MAX_CONNECTIONS = 10_000_000;

    private CompactEdgeOptions() {}

    /** The service's options, or {@link EdgeOptions#NONE} when it sets none. */
    static EdgeOptions parse(YamlNodes y, Map<String, Node> f, String path, Protocol protocol)
            throws EdgeConfigException {
        int max = limit(y, f.get("maxConnections"), path + ".maxConnections");
        int perBackend = limit(y, f.get("maxConnectionsPerBackend"), path + ".maxConnectionsPerBackend");
        boolean acceptProxy = bool(y, f.get("acceptProxyProtocol"), path + ".acceptProxyProtocol");
        List<String> names = serverNames(y, f.get("sni"), path + ".sni");
        for (String field : FIELDS) {
            Node node = f.get(field);
            if (protocol == Protocol.UDP && node != null && !YamlNodes.isNull(node)) {
                throw y.error(node, path + "." + field, "is for TCP services only");
            }
        }
        EdgeOptions options = new EdgeOptions(max, perBackend, acceptProxy, names);
        return options.equals(EdgeOptions.NONE) ? EdgeOptions.NONE : options;
    }

    private static int limit(YamlNodes y, Node node, String path) throws EdgeConfigException {
        return node == null || YamlNodes.isNull(node) ? 0 : y.integer(node, path, 0, MAX_CONNECTIONS);
    }

    private static boolean bool(YamlNodes y, Node node, String path) throws EdgeConfigException {
        if (node == null || YamlNodes.isNull(node)) {
            return false;
        }
        String text = y.scalar(node, path).trim();
        if (!text.equals("true") && !text.equals("false")) {
            throw y.error(node, path, "want true or false, got \"" + text + "\"");
        }
        return text.equals("true");
    }

    private static List<String> serverNames(YamlNodes y, Node node, String path) throws EdgeConfigException {
        if (node == null || YamlNodes.isNull(node)) {
            return List.of();
        }
        List<Node> items = y.sequence(node, path);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = path + "[" + i + "]";
            String name = y.scalar(items.get(i), itemPath).trim();
            try {
                EdgeOptions.checkServerName(name.toLowerCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw y.error(items.get(i), itemPath, e.getMessage());
            }
            if (out.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                throw y.error(items.get(i), itemPath, "duplicate server name \"" + name + "\"");
            }
            out.add(name.toLowerCase(java.util.Locale.ROOT));
        }
        if (out.isEmpty()) {
            throw y.error(node, path, "names no server (leave the field out to take every TLS connection)");
        }
        return out;
    }

    /** A listen address written by a service after another service had written it. */
    record SharedListen(Frontend frontend, Node node, String path, ConfigLocation earlier) {
        String alreadyUsed() {
            return frontend + " is already used by " + earlier.path() + " (line " + earlier.line() + ")";
        }
    }

    /**
     * Checks the listen addresses several services share.
     *
     * @param shared  the later claims, in file order
     * @param entries every service parsed, in file order
     */
    static void checkShared(YamlNodes y, List<SharedListen> shared, List<ServicePortEntry> entries)
            throws EdgeConfigException {
        Map<Frontend, List<ServicePortEntry>> owners = new HashMap<>();
        for (ServicePortEntry e : entries) {
            for (ServiceFrontend f : e.frontends()) {
                owners.computeIfAbsent(f.frontend(), k -> new ArrayList<>()).add(e);
            }
        }
        for (SharedListen s : shared) {
            List<ServicePortEntry> sharing = owners.get(s.frontend());
            String others = sharing.stream()
                    .map(e -> e.name().service().name())
                    .reduce((a, b) -> a + ", " + b)
                    .orElse("");
            if (s.frontend().protocol() != Protocol.TCP) {
                throw y.error(
                        s.node(),
                        s.path(),
                        s.alreadyUsed() + "; only TCP services routed by TLS server name (sni) may share one");
            }
            int without = 0;
            Map<String, String> names = new LinkedHashMap<>();
            for (ServicePortEntry e : sharing) {
                EdgeOptions o = e.edge();
                without += o.serverNames().isEmpty() ? 1 : 0;
                if (o.acceptProxyProtocol() != sharing.get(0).edge().acceptProxyProtocol()) {
                    throw y.error(
                            s.node(),
                            s.path(),
                            s.frontend() + " is shared by " + others + ", which must agree on acceptProxyProtocol");
                }
                for (String n : o.serverNames()) {
                    String earlier = names.putIfAbsent(n, e.name().service().name());
                    if (earlier != null) {
                        throw y.error(
                                s.node(),
                                s.path(),
                                "server name \"" + n + "\" on " + s.frontend() + " is named by both " + earlier
                                        + " and " + e.name().service().name());
                    }
                }
            }
            if (without > 1) {
                throw y.error(
                        s.node(),
                        s.path(),
                        s.alreadyUsed() + "; services may share a listen address when each names its TLS server"
                                + " names (sni), all but at most one");
            }
        }
    }
}
