package io.vipd.edge;

import io.vipd.lb.Addresses;
import io.vipd.lb.Algorithm;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.proxy.HealthCheck;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The compact edge format: a top-level {@code services:} list, one item per load-balanced service
 * (name, protocol, listen addresses, backends, session affinity, algorithm, PROXY protocol, and the connection
 * handling of {@link CompactEdgeOptions}). Each service
 * becomes one service port named {@code default/<name>} whose listen addresses are LoadBalancer frontends
 * (external traffic, every backend a cluster endpoint).
 */
public final class CompactConfigFormat implements EdgeConfigFormat {
    /** The namespace compact-format services live in, as a manifest without a namespace would. */
    public static final String NAMESPACE = "default";

    static final int DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
    static final int MAX_WEIGHT = 10000;

    private static final Set<String> TOP = orderedSet("services");
    private static final Set<String> SERVICE = orderedSet(
            "name",
            "protocol",
            "listen",
            "backends",
            "sessionAffinity",
            "sessionAffinityTimeoutSeconds",
            "algorithm",
            "proxyProtocol",
            HealthCheckField.NAME,
            "maxConnections",
            "maxConnectionsPerBackend",
            "acceptProxyProtocol",
            "sni");
    private static final Set<String> BACKEND = orderedSet("address", "weight");

    @Override
    public boolean recognizes(List<Node> documents) {
        return !KubernetesManifestFormat.looksLikeManifests(documents);
    }

    @Override
    public EdgeConfig parse(
            String file, String text, List<Node> documents, Function<ServicePortName, ServicePortEntry> previous)
            throws EdgeConfigException {
        YamlNodes y = new YamlNodes(file);
        if (documents.size() > 1) {
            throw y.error(documents.get(1), "", "want one YAML document, found " + documents.size());
        }
        List<ServicePortEntry> entries = new ArrayList<>();
        Map<Frontend, ConfigLocation> locations = new HashMap<>();
        Map<ServicePortName, HealthCheck> checks = new HashMap<>();
        if (documents.isEmpty() || YamlNodes.isNull(documents.get(0))) {
            return new EntryConfig(file, entries, locations);
        }
        Map<String, Node> top = y.mapping(documents.get(0), "", TOP);
        Node servicesNode = top.get("services");
        if (servicesNode == null || YamlNodes.isNull(servicesNode)) {
            return new EntryConfig(file, entries, locations);
        }
        Map<String, Node> names = new HashMap<>();
        List<CompactEdgeOptions.SharedListen> shared = new ArrayList<>();
        List<Node> services = y.sequence(servicesNode, "services");
        for (int i = 0; i < services.size(); i++) {
            String path = "services[" + i + "]";
            ServicePortEntry entry = service(y, services.get(i), path, names, locations, shared, previous);
            entries.add(entry);
            HealthCheck check = HealthCheckField.parse(
                    y,
                    y.mapping(services.get(i), path, SERVICE).get(HealthCheckField.NAME),
                    path + "." + HealthCheckField.NAME,
                    entry.name().protocol());
            if (check != null) {
                checks.put(entry.name(), check);
            }
        }
        CompactEdgeOptions.checkShared(y, shared, entries);
        return new EntryConfig(file, entries, locations, checks);
    }

    private static ServicePortEntry service(
            YamlNodes y,
            Node node,
            String path,
            Map<String, Node> names,
            Map<Frontend, ConfigLocation> locations,
            List<CompactEdgeOptions.SharedListen> shared,
            Function<ServicePortName, ServicePortEntry> previous)
            throws EdgeConfigException {
        Map<String, Node> f = y.mapping(node, path, SERVICE);
        Node nameNode = f.get("name");
        if (nameNode == null) {
            throw y.error(node, path, "missing field \"name\"");
        }
        String name = y.scalar(nameNode, path + ".name").trim();
        if (!name.matches("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?")) {
            throw y.error(
                    nameNode,
                    path + ".name",
                    "\"" + name
                            + "\" is not a DNS label (lower-case letters, digits, '-' and '.', at most 63 characters)");
        }
        Node earlier = names.putIfAbsent(name, nameNode);
        if (earlier != null) {
            throw y.error(
                    nameNode,
                    path + ".name",
                    "duplicate service name \"" + name + "\" (first at line " + YamlNodes.line(earlier) + ")");
        }
        Protocol protocol = parse(y, f.get("protocol"), path + ".protocol", Protocol::parse, Protocol.TCP);
        if (protocol == Protocol.SCTP) {
            throw y.error(f.get("protocol"), path + ".protocol", "SCTP is not supported (want TCP or UDP)");
        }
        List<ServiceFrontend> frontends = listen(y, f.get("listen"), node, path, protocol, locations, shared);
        BackendSet backends = backends(y, f.get("backends"), path + ".backends");
        int affinityTimeout = affinity(y, f, path);
        Algorithm algorithm = parse(y, f.get("algorithm"), path + ".algorithm", Algorithm::parse, Algorithm.MAGLEV);
        ProxyProtocol proxyProtocol =
                parse(y, f.get("proxyProtocol"), path + ".proxyProtocol", ProxyProtocol::parse, ProxyProtocol.NONE);
        if (proxyProtocol != ProxyProtocol.NONE && protocol == Protocol.UDP) {
            throw y.error(
                    f.get("proxyProtocol"), path + ".proxyProtocol", "the PROXY protocol is for TCP services only");
        }
        ServicePortName portName = ServicePortName.of(NAMESPACE, name, "", protocol);
        return ServicePortEntry.builder(portName)
                .frontends(frontends)
                .backends(backends)
                .algorithm(algorithm)
                .affinityTimeoutSeconds(affinityTimeout)
                .proxyProtocol(proxyProtocol)
                .edge(CompactEdgeOptions.parse(y, f, path, protocol))
                .build(previous.apply(portName));
    }

    private static List<ServiceFrontend> listen(
            YamlNodes y,
            Node node,
            Node service,
            String path,
            Protocol protocol,
            Map<Frontend, ConfigLocation> locations,
            List<CompactEdgeOptions.SharedListen> shared)
            throws EdgeConfigException {
        if (node == null || YamlNodes.isNull(node)) {
            throw y.error(node == null ? service : node, path + ".listen", "needs at least one ip:port to listen on");
        }
        List<Node> items = y.sequence(node, path + ".listen");
        if (items.isEmpty()) {
            throw y.error(node, path + ".listen", "needs at least one ip:port to listen on");
        }
        List<ServiceFrontend> out = new ArrayList<>();
        for (int j = 0; j < items.size(); j++) {
            String itemPath = path + ".listen[" + j + "]";
            Node item = items.get(j);
            InetSocketAddress address = ipPort(y, item, itemPath);
            Frontend frontend = Frontend.of(address, protocol);
            ConfigLocation earlier =
                    locations.putIfAbsent(frontend, new ConfigLocation(YamlNodes.line(item), itemPath));
            if (earlier != null && !earlier.path().startsWith(path + ".")) {
                // Another service's: checkShared decides once every service's sni is known.
                shared.add(new CompactEdgeOptions.SharedListen(frontend, item, itemPath, earlier));
            } else if (earlier != null) {
                throw y.error(
                        item,
                        itemPath,
                        frontend + " is already used by " + earlier.path() + " (line " + earlier.line() + ")");
            }
            out.add(new ServiceFrontend(frontend, FrontendType.LOAD_BALANCER));
        }
        return out;
    }

    private static BackendSet backends(YamlNodes y, Node node, String path) throws EdgeConfigException {
        if (node == null || YamlNodes.isNull(node)) {
            return BackendSet.empty();
        }
        List<Node> items = y.sequence(node, path);
        List<Backend> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int j = 0; j < items.size(); j++) {
            String itemPath = path + "[" + j + "]";
            Node item = items.get(j);
            Backend backend;
            if (item instanceof MappingNode) {
                Map<String, Node> b = y.mapping(item, itemPath, BACKEND);
                Node address = b.get("address");
                if (address == null) {
                    throw y.error(item, itemPath, "missing field \"address\"");
                }
                int weight = b.containsKey("weight")
                        ? y.integer(b.get("weight"), itemPath + ".weight", 0, MAX_WEIGHT)
                        : Backend.DEFAULT_WEIGHT;
                backend = Backend.of(ipPort(y, address, itemPath + ".address"), weight);
            } else {
                backend = Backend.of(ipPort(y, item, itemPath), Backend.DEFAULT_WEIGHT);
            }
            if (!seen.add(backend.key())) {
                throw y.error(item, itemPath, "duplicate backend " + backend.key());
            }
            out.add(backend);
        }
        return BackendSet.of(out);
    }

    private static int affinity(YamlNodes y, Map<String, Node> f, String path) throws EdgeConfigException {
        Node modeNode = f.get("sessionAffinity");
        String mode = modeNode == null || YamlNodes.isNull(modeNode)
                ? "None"
                : y.scalar(modeNode, path + ".sessionAffinity").trim();
        Node timeoutNode = f.get("sessionAffinityTimeoutSeconds");
        int timeout = timeoutNode == null
                ? DEFAULT_AFFINITY_TIMEOUT_SECONDS
                : y.integer(timeoutNode, path + ".sessionAffinityTimeoutSeconds", 1, 86400);
        if (mode.equals("ClientIP")) {
            return timeout;
        }
        if (!mode.equals("None")) {
            throw y.error(modeNode, path + ".sessionAffinity", "\"" + mode + "\" is not None or ClientIP");
        }
        return 0;
    }

    private static InetSocketAddress ipPort(YamlNodes y, Node node, String path) throws EdgeConfigException {
        String text = y.scalar(node, path);
        try {
            return Addresses.parseIpPort(text);
        } catch (IllegalArgumentException e) {
            String detail = e.getMessage().startsWith("want ip:port") ? "" : " (" + e.getMessage() + ")";
            throw y.error(node, path, "not an ip:port: \"" + text + "\"" + detail);
        }
    }

    private interface Parser<T> {
        T parse(String text);
    }

    private static <T> T parse(YamlNodes y, Node node, String path, Parser<T> parser, T fallback)
            throws EdgeConfigException {
        if (node == null || YamlNodes.isNull(node)) {
            return fallback;
        }
        try {
            return parser.parse(y.scalar(node, path).trim());
        } catch (IllegalArgumentException e) {
            throw y.error(node, path, e.getMessage());
        }
    }

    private static Set<String> orderedSet(String... names) {
        return new LinkedHashSet<>(List.of(names));
    }
}
