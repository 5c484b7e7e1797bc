package io.vipd.node;

import io.vipd.nodeport.NodeAddresses;
import io.vipd.nodeport.NodeAddresses.InterfaceAddress;
import io.vipd.nodeport.NodePortAddresses;
import io.vipd.watcher.NodeInfo;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The node's addresses as node mode uses them, at one moment: every local address (whose traffic is the
 * host's own) and the addresses NodePorts are served on. {@code primary} means the Node object's primary
 * address of each family, as in kube-proxy's nftables mode (the first InternalIP of the family, else its first
 * ExternalIP); a family the Node object does not name (or a node not seen yet) falls back to the first address
 * of the default route's interface. Immutable.
 *
 * @param local    every address of every interface that is up
 * @param nodePort where NodePorts and healthCheckNodePorts are served
 */
record NodeAddressSelection(Set<InetAddress> local, List<InetAddress> nodePort) {
    NodeAddressSelection {
        local = Set.copyOf(local);
        nodePort = List.copyOf(nodePort);
    }

    /** Reads the interfaces now. */
    static NodeAddressSelection discover(NodePortAddresses setting, NodeInfo node) {
        return discover(setting, null, node);
    }

    /**
     * Reads the interfaces now; {@code bindAddress} (kube-proxy's --bind-address, null when unset) is the primary
     * address of its family, ahead of the Node object's.
     */
    static NodeAddressSelection discover(NodePortAddresses setting, InetAddress bindAddress, NodeInfo node) {
        List<InterfaceAddress> interfaces = NodeAddresses.discover();
        return of(setting, bindAddress, node, interfaces, NodeAddresses.routePrimaries(interfaces));
    }

    /** As {@link #of(NodePortAddresses, InetAddress, NodeInfo, List, List)} without --bind-address. */
    static NodeAddressSelection of(
            NodePortAddresses setting,
            NodeInfo node,
            List<InterfaceAddress> interfaces,
            List<InetAddress> routePrimaries) {
        return of(setting, null, node, interfaces, routePrimaries);
    }

    /** Pure: {@code routePrimaries} are the default route interfaces' primary addresses, one per family. */
    static NodeAddressSelection of(
            NodePortAddresses setting,
            InetAddress bindAddress,
            NodeInfo node,
            List<InterfaceAddress> interfaces,
            List<InetAddress> routePrimaries) {
        Set<InetAddress> local = new LinkedHashSet<>();
        interfaces.forEach(a -> local.add(a.address()));
        List<InetAddress> primaries = new ArrayList<>();
        for (boolean ipv6 : new boolean[] {false, true}) {
            firstOfFamily(
                            bindAddress == null || bindAddress.isAnyLocalAddress() ? List.of() : List.of(bindAddress),
                            ipv6)
                    .or(() -> firstOfFamily(node == null ? List.of() : node.addresses(), ipv6))
                    .or(() -> firstOfFamily(routePrimaries, ipv6))
                    .ifPresent(primaries::add);
        }
        return new NodeAddressSelection(local, NodeAddresses.select(setting, interfaces, primaries));
    }

    private static Optional<InetAddress> firstOfFamily(List<InetAddress> addresses, boolean ipv6) {
        return addresses.stream()
                .filter(a -> (a instanceof Inet6Address) == ipv6)
                .findFirst();
    }
}
