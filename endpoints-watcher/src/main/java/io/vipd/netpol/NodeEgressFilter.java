package io.vipd.netpol;

import io.vipd.lb.EgressAllowance;
import io.vipd.lb.EgressFilter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@link EgressFilter} of one node: each egress-isolated pod scheduled to it, by address, with what it may
 * reach compiled in advance, so that a new flow costs one hash lookup by client address (no allocation) and
 * then {@link ClientEgress#allows} per candidate. Clients that are not local pods (host-network processes,
 * other nodes' pods, external clients) and local pods no policy isolates get null: unrestricted. Immutable; the
 * watcher builds a new one whenever policies, pods or namespaces change.
 */
public final class NodeEgressFilter implements EgressFilter {
    private final String nodeName;
    private final PolicySnapshot snapshot;
    private final Map<InetAddress, ClientEgress> byClient;
    private final List<ClientEgress> clients;

    private NodeEgressFilter(String nodeName, PolicySnapshot snapshot, Map<InetAddress, ClientEgress> byClient) {
        this.nodeName = nodeName;
        this.snapshot = snapshot;
        this.byClient = byClient;
        List<ClientEgress> distinct = new ArrayList<>();
        byClient.values().forEach(c -> {
            if (!distinct.contains(c)) {
                distinct.add(c);
            }
        });
        distinct.sort((a, b) -> a.client().toString().compareTo(b.client().toString()));
        this.clients = List.copyOf(distinct);
    }

    /** Compiles the allowance of every pod of {@code snapshot} scheduled to {@code nodeName}. */
    public static NodeEgressFilter build(String nodeName, PolicySnapshot snapshot) {
        Objects.requireNonNull(nodeName, "nodeName");
        Map<InetAddress, ClientEgress> byClient = new HashMap<>();
        for (PodInfo pod : snapshot.pods()) {
            if (!nodeName.equals(pod.nodeName()) || pod.hostNetwork()) {
                continue;
            }
            ClientEgress allowance = snapshot.allowanceFor(pod);
            if (allowance != null) {
                pod.ips().forEach(ip -> byClient.put(ip, allowance));
            }
        }
        return new NodeEgressFilter(nodeName, snapshot, byClient);
    }

    @Override
    public EgressAllowance allowanceFor(InetAddress client) {
        return byClient.get(client);
    }

    /** The local pods some policy isolates, sorted by namespace/name. */
    public List<ClientEgress> restrictedClients() {
        return clients;
    }

    public PolicySnapshot snapshot() {
        return snapshot;
    }

    public String nodeName() {
        return nodeName;
    }
}
