package io.vipd.netpol;

import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One egress rule resolved against the pods and namespaces of a {@link PolicySnapshot}: the selector peers
 * become the set of addresses they stand for, and the named ports the numbers each destination pod gives them.
 * What the connection path asks, {@link #allows}, is then a few hash lookups and comparisons with no allocation
 * (for IPv4 ipBlocks; see {@link IpBlock}). Immutable.
 */
final class CompiledRule {
    private final boolean anyDestination;
    private final Set<InetAddress> podAddresses;
    private final IpBlock[] blocks;
    private final boolean anyPort;
    private final PortMatch[] numericPorts;
    /** Per destination pod address, its named ports this rule names, as {@link #code} values. */
    private final Map<InetAddress, int[]> namedPorts;

    private CompiledRule(
            boolean anyDestination,
            Set<InetAddress> podAddresses,
            IpBlock[] blocks,
            boolean anyPort,
            PortMatch[] numericPorts,
            Map<InetAddress, int[]> namedPorts) {
        this.anyDestination = anyDestination;
        this.podAddresses = podAddresses;
        this.blocks = blocks;
        this.anyPort = anyPort;
        this.numericPorts = numericPorts;
        this.namedPorts = namedPorts;
    }

    /** Resolves {@code rule} of a policy in {@code policyNamespace} against the snapshot's pods. */
    static CompiledRule compile(String policyNamespace, EgressRule rule, PolicySnapshot cluster) {
        Set<InetAddress> addresses = new HashSet<>();
        List<IpBlock> blocks =
                rule.to().stream().map(Peer::ipBlock).filter(b -> b != null).toList();
        List<Peer> selectorPeers =
                rule.to().stream().filter(p -> p.ipBlock() == null).toList();
        if (!selectorPeers.isEmpty()) {
            for (PodInfo pod : cluster.pods()) {
                if (pod.hostNetwork() || pod.ips().isEmpty()) {
                    continue;
                }
                NamespaceInfo ns = cluster.namespace(pod.namespace());
                for (Peer peer : selectorPeers) {
                    if (peer.selects(policyNamespace, pod, ns)) {
                        addresses.addAll(pod.ips());
                        break;
                    }
                }
            }
        }
        List<PortMatch> numeric =
                rule.ports().stream().filter(p -> !p.isNamed()).toList();
        List<PortMatch> named = rule.ports().stream().filter(PortMatch::isNamed).toList();
        Map<InetAddress, int[]> namedPorts = new HashMap<>();
        if (!named.isEmpty()) {
            for (PodInfo pod : cluster.pods()) {
                if (pod.hostNetwork()) {
                    continue;
                }
                int[] codes = named.stream()
                        .mapToInt(m -> {
                            int n = pod.namedPort(m.name(), m.protocol());
                            return n < 0 ? -1 : code(m.protocol(), n);
                        })
                        .filter(c -> c >= 0)
                        .toArray();
                if (codes.length > 0) {
                    pod.ips().forEach(ip -> namedPorts.put(ip, codes));
                }
            }
        }
        return new CompiledRule(
                rule.to().isEmpty(),
                addresses,
                blocks.toArray(IpBlock[]::new),
                rule.ports().isEmpty(),
                numeric.toArray(PortMatch[]::new),
                namedPorts);
    }

    boolean allows(InetAddress destination, Protocol protocol, int port) {
        return destinationMatches(destination) && portMatches(destination, protocol, port);
    }

    private boolean destinationMatches(InetAddress destination) {
        if (anyDestination || podAddresses.contains(destination)) {
            return true;
        }
        for (IpBlock b : blocks) {
            if (b.contains(destination)) {
                return true;
            }
        }
        return false;
    }

    private boolean portMatches(InetAddress destination, Protocol protocol, int port) {
        if (anyPort) {
            return true;
        }
        for (PortMatch m : numericPorts) {
            if (m.covers(protocol, port)) {
                return true;
            }
        }
        int[] named = namedPorts.get(destination);
        if (named != null) {
            int wanted = code(protocol, port);
            for (int c : named) {
                if (c == wanted) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int code(Protocol protocol, int port) {
        return protocol.ordinal() << 16 | port;
    }
}
