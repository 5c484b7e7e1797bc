package io.vipd.netpol;

import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
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
    /** Per named port of the rule: pod address to the number that pod gives the name (the snapshot's index). */
    private final Map<InetAddress, Integer>[] namedPorts;
    /** The protocol of each entry of {@link #namedPorts}. */
    private final Protocol[] namedProtocols;

    private CompiledRule(
            boolean anyDestination,
            Set<InetAddress> podAddresses,
            IpBlock[] blocks,
            boolean anyPort,
            PortMatch[] numericPorts,
            Map<InetAddress, Integer>[] namedPorts,
            Protocol[] namedProtocols) {
        this.anyDestination = anyDestination;
        this.podAddresses = podAddresses;
        this.blocks = blocks;
        this.anyPort = anyPort;
        this.numericPorts = numericPorts;
        this.namedPorts = namedPorts;
        this.namedProtocols = namedProtocols;
    }

    /** Resolves {@code rule} of a policy in {@code policyNamespace} against the snapshot's pods. */
    @SuppressWarnings("unchecked")
    static CompiledRule compile(String policyNamespace, EgressRule rule, PolicySnapshot cluster) {
        List<Set<InetAddress>> selected = new ArrayList<>();
        List<IpBlock> blocks = new ArrayList<>();
        for (Peer peer : rule.to()) {
            if (peer.ipBlock() != null) {
                blocks.add(peer.ipBlock());
            } else {
                selected.add(cluster.addressesOf(peer, policyNamespace));
            }
        }
        Set<InetAddress> addresses;
        if (selected.size() == 1) {
            addresses = selected.get(0);
        } else {
            addresses = new HashSet<>();
            selected.forEach(addresses::addAll);
        }
        List<PortMatch> numeric =
                rule.ports().stream().filter(p -> !p.isNamed()).toList();
        List<PortMatch> named = rule.ports().stream().filter(PortMatch::isNamed).toList();
        Map<InetAddress, Integer>[] namedPorts = new Map[named.size()];
        Protocol[] namedProtocols = new Protocol[named.size()];
        for (int i = 0; i < named.size(); i++) {
            namedPorts[i] = cluster.namedPort(named.get(i).name(), named.get(i).protocol());
            namedProtocols[i] = named.get(i).protocol();
        }
        return new CompiledRule(
                rule.to().isEmpty(),
                addresses,
                blocks.toArray(IpBlock[]::new),
                rule.ports().isEmpty(),
                numeric.toArray(PortMatch[]::new),
                namedPorts,
                namedProtocols);
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
        for (int i = 0; i < namedPorts.length; i++) {
            Integer number = namedProtocols[i] == protocol ? namedPorts[i].get(destination) : null;
            if (number != null && number == port) {
                return true;
            }
        }
        return false;
    }
}
