package io.vipd.nodeport.interception;

import io.vipd.lb.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * How node mode intercepts traffic. Immutable.
 *
 * @param tcpPort           the transparent TCP listener's port (TPROXY target)
 * @param udpPort           the transparent UDP listener's port (TPROXY target)
 * @param mark              the packet mark bit that policy routing delivers locally; one bit, so it
 *                          coexists with kube-proxy's and CNI plugins' marks
 * @param routeTable        the routing table holding {@code local default dev lo}
 * @param clusterCidrs      pod CIDRs (--cluster-cidr): their traffic to external frontends is short-circuited
 * @param nodePortAddresses the node addresses NodePorts are reachable on
 * @param transparentEgress vipd connects to backends from clients' addresses ({@code --source-ip=client}):
 *                          the table then delivers packets for vipd's transparent sockets (the backends'
 *                          replies) to them ({@code socket transparent}, needs the nft_socket module)
 */
public record InterceptionConfig(
        int tcpPort,
        int udpPort,
        int mark,
        int routeTable,
        List<Cidr> clusterCidrs,
        List<InetAddress> nodePortAddresses,
        boolean transparentEgress) {
    public static final int DEFAULT_PORT = 10260;
    public static final int DEFAULT_MARK = 0x00200000;
    public static final int DEFAULT_ROUTE_TABLE = 5650;

    public InterceptionConfig {
        if (Integer.bitCount(mark) != 1) {
            throw new IllegalArgumentException("mark 0x" + Integer.toHexString(mark) + " must be a single bit");
        }
        if (routeTable < 1 || routeTable > 0x7fffffff || routeTable == 253 || routeTable == 254 || routeTable == 255) {
            throw new IllegalArgumentException("route table " + routeTable + " is reserved or out of range");
        }
        clusterCidrs = List.copyOf(clusterCidrs);
        nodePortAddresses = List.copyOf(nodePortAddresses);
    }

    /** With transparent egress. */
    public InterceptionConfig(
            int tcpPort,
            int udpPort,
            int mark,
            int routeTable,
            List<Cidr> clusterCidrs,
            List<InetAddress> nodePortAddresses) {
        this(tcpPort, udpPort, mark, routeTable, clusterCidrs, nodePortAddresses, true);
    }

    public static InterceptionConfig defaults(List<Cidr> clusterCidrs, List<InetAddress> nodePortAddresses) {
        return new InterceptionConfig(
                DEFAULT_PORT, DEFAULT_PORT, DEFAULT_MARK, DEFAULT_ROUTE_TABLE, clusterCidrs, nodePortAddresses);
    }

    public String markHex() {
        return String.format("0x%08x", mark);
    }

    /** This configuration with other node addresses (they change while vipd runs). */
    public InterceptionConfig withNodePortAddresses(List<InetAddress> addresses) {
        return new InterceptionConfig(tcpPort, udpPort, mark, routeTable, clusterCidrs, addresses, transparentEgress);
    }

    /**
     * The bit that marks kernel-forwarded (SCTP) traffic for masquerade, as kube-proxy's 0x4000 does: the bit
     * above {@link #mark} (below it for the top bit), so that both stay clear of kube-proxy's and CNI plugins'.
     */
    public int masqueradeMark() {
        return mark == 0x80000000 ? mark >>> 1 : mark << 1;
    }
}
