package io.vipd.netpol;

import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The NetworkPolicies, pods and namespaces of a cluster at one moment, and the egress semantics over them:
 * which policies isolate a pod and, compiled into a {@link ClientEgress}, what it may reach. Immutable, but for
 * a cache of compiled policies filled on first use (thread-safe; a race compiles one twice, identically).
 *
 * <p>Semantics (networking.k8s.io/v1, docs/network-policy.md): a pod is isolated for egress when a policy of its
 * namespace selects it and has Egress among its policyTypes; it may then send what any rule of any such policy
 * allows. Host-network pods are never isolated (their traffic is the node's). Selector peers stand for pod
 * addresses (never host-network pods'); an ipBlock matches any address inside it and outside its excepts, pod
 * addresses included, since vipd decides on the endpoint address itself (as Calico and the upstream e2e suite
 * do).
 */
public final class PolicySnapshot {
    public static final PolicySnapshot EMPTY = of(List.of(), List.of(), List.of());

    private final List<Policy> policies;
    private final List<PodInfo> pods;
    private final Map<String, NamespaceInfo> namespaces;
    private final Map<InetAddress, PodInfo> podsByIp;
    /** Pods with addresses and their own network namespace, by namespace: what selector peers can stand for. */
    private final Map<String, List<PodInfo>> selectablePods;
    /** Named container ports: name, then protocol, then pod address to port number. */
    private final Map<String, Map<Protocol, Map<InetAddress, Integer>>> namedPorts;

    private final AtomicReferenceArray<CompiledRule[]> compiled;
    /** The addresses each selector peer stands for, shared by the rules that repeat it (allow-DNS everywhere). */
    private final Map<Object, Set<InetAddress>> peerAddresses = new ConcurrentHashMap<>();

    private PolicySnapshot(List<Policy> policies, List<PodInfo> pods, Map<String, NamespaceInfo> namespaces) {
        this.policies = policies;
        this.pods = pods;
        this.namespaces = namespaces;
        Map<InetAddress, PodInfo> byIp = new HashMap<>();
        Map<String, List<PodInfo>> selectable = new HashMap<>();
        Map<String, Map<Protocol, Map<InetAddress, Integer>>> named = new HashMap<>();
        for (PodInfo p : pods) {
            if (p.hostNetwork() || p.ips().isEmpty()) {
                continue;
            }
            p.ips().forEach(ip -> byIp.put(ip, p));
            selectable.computeIfAbsent(p.namespace(), n -> new ArrayList<>()).add(p);
            for (PodInfo.ContainerPort port : p.ports()) {
                if (port.name() != null && !port.name().isEmpty()) {
                    Map<InetAddress, Integer> byAddress = named.computeIfAbsent(
                                    port.name(), n -> new EnumMap<>(Protocol.class))
                            .computeIfAbsent(port.protocol(), pr -> new HashMap<>());
                    p.ips().forEach(ip -> byAddress.putIfAbsent(ip, port.port()));
                }
            }
        }
        this.podsByIp = byIp;
        this.selectablePods = selectable;
        this.namedPorts = named;
        this.compiled = new AtomicReferenceArray<>(policies.size());
    }

    public static PolicySnapshot of(
            Collection<Policy> policies, Collection<PodInfo> pods, Collection<NamespaceInfo> namespaces) {
        Map<String, NamespaceInfo> ns = new HashMap<>();
        namespaces.forEach(n -> ns.put(n.name(), n));
        List<Policy> sorted = new ArrayList<>(policies);
        sorted.sort((a, b) -> a.toString().compareTo(b.toString()));
        return new PolicySnapshot(List.copyOf(sorted), List.copyOf(pods), Map.copyOf(ns));
    }

    public List<Policy> policies() {
        return policies;
    }

    public List<PodInfo> pods() {
        return pods;
    }

    /** The namespace by name; one not seen yet carries only its name label. */
    public NamespaceInfo namespace(String name) {
        NamespaceInfo n = namespaces.get(name);
        return n != null ? n : NamespaceInfo.unknown(name);
    }

    /** The pods that may stand for a selector peer's addresses (an address, not host network), by namespace. */
    Map<String, List<PodInfo>> selectablePods() {
        return selectablePods;
    }

    /**
     * The addresses of the pods {@code peer} (a selector peer) stands for in a policy of {@code policyNamespace}:
     * computed once per distinct peer (and namespace, for a bare podSelector) and shared.
     */
    Set<InetAddress> addressesOf(Peer peer, String policyNamespace) {
        Object key = peer.namespaceSelector() == null ? List.of(peer, policyNamespace) : peer;
        return peerAddresses.computeIfAbsent(key, k -> {
            Set<InetAddress> out = new HashSet<>();
            if (peer.namespaceSelector() == null) {
                addSelected(peer, policyNamespace, out);
            } else {
                for (String ns : selectablePods.keySet()) {
                    if (peer.namespaceSelector().matches(namespace(ns).labels())) {
                        addSelected(peer, ns, out);
                    }
                }
            }
            return Set.copyOf(out);
        });
    }

    private void addSelected(Peer peer, String namespace, Set<InetAddress> out) {
        for (PodInfo pod : selectablePods.getOrDefault(namespace, List.of())) {
            if (peer.podSelector() == null || peer.podSelector().matches(pod.labels())) {
                out.addAll(pod.ips());
            }
        }
    }

    /** Pod address to number of the container port {@code name} over {@code protocol}; empty when none has it. */
    Map<InetAddress, Integer> namedPort(String name, Protocol protocol) {
        Map<Protocol, Map<InetAddress, Integer>> byProtocol = namedPorts.get(name);
        Map<InetAddress, Integer> m = byProtocol == null ? null : byProtocol.get(protocol);
        return m == null ? Map.of() : m;
    }

    /** The (non-host-network) pod with this address, if any. */
    public Optional<PodInfo> podByIp(InetAddress ip) {
        return Optional.ofNullable(podsByIp.get(ip));
    }

    public Optional<PodInfo> pod(String namespace, String name) {
        return pods.stream()
                .filter(p -> p.namespace().equals(namespace) && p.name().equals(name))
                .findFirst();
    }

    /** The policies that isolate {@code pod} for egress; empty when it may send anything. */
    public List<Policy> isolating(PodInfo pod) {
        if (pod.hostNetwork()) {
            return List.of();
        }
        return policies.stream().filter(p -> p.isolates(pod)).toList();
    }

    /** What {@code client} may reach, or null when no policy isolates it (it may reach anything). */
    public ClientEgress allowanceFor(PodInfo client) {
        if (client.hostNetwork()) {
            return null;
        }
        List<Policy> selecting = new ArrayList<>();
        List<CompiledRule> rules = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            Policy p = policies.get(i);
            if (!p.isolates(client)) {
                continue;
            }
            selecting.add(p);
            CompiledRule[] c = compiledRules(i);
            for (int r = 0; r < c.length; r++) {
                rules.add(c[r]);
                names.add(p + " egress[" + r + "]");
            }
        }
        if (selecting.isEmpty()) {
            return null;
        }
        return new ClientEgress(client, selecting, rules.toArray(CompiledRule[]::new), names.toArray(String[]::new));
    }

    private CompiledRule[] compiledRules(int index) {
        CompiledRule[] c = compiled.get(index);
        if (c == null) {
            Policy p = policies.get(index);
            c = p.rules().stream()
                    .map(r -> CompiledRule.compile(p.namespace(), r, this))
                    .toArray(CompiledRule[]::new);
            compiled.set(index, c);
        }
        return c;
    }
}
