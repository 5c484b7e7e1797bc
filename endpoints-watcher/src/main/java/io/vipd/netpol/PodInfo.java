package io.vipd.netpol;

import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What policies need of a pod: where it is, its labels, its addresses, whether it shares its node's network
 * namespace, and its named container ports. Immutable.
 *
 * @param nodeName    the node it is scheduled to, or "" when not yet scheduled
 * @param hostNetwork whether it uses the node's network namespace: its addresses are the node's, so no pod
 *                    policy applies to its traffic and no selector-based peer stands for its address
 */
public record PodInfo(
        String namespace,
        String name,
        Map<String, String> labels,
        List<InetAddress> ips,
        String nodeName,
        boolean hostNetwork,
        List<ContainerPort> ports) {
    public PodInfo {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        ips = List.copyOf(ips);
        nodeName = nodeName == null ? "" : nodeName;
        ports = List.copyOf(ports);
    }

    /** A container port; only named ones matter (a policy's named port is looked up among them). */
    public record ContainerPort(String name, Protocol protocol, int port) {
        public ContainerPort {
            Objects.requireNonNull(protocol, "protocol");
        }
    }

    /** The number of the container port {@code name} for {@code protocol}, or -1. */
    public int namedPort(String portName, Protocol protocol) {
        for (ContainerPort p : ports) {
            if (portName.equals(p.name()) && p.protocol() == protocol) {
                return p.port();
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
