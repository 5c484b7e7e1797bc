package io.vipd.nodeport;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendState;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServiceTable;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the healthCheckNodePort servers report, computed from the service table. Stateless.
 */
public final class LocalEndpointCounts {
    private LocalEndpointCounts() {}

    /** Service to healthCheckNodePort, for every service that has one (from any of its ports). */
    public static Map<NamespacedName, Integer> healthCheckNodePorts(Iterable<ServicePortEntry> entries) {
        Map<NamespacedName, Integer> out = new HashMap<>();
        for (ServicePortEntry e : entries) {
            if (e.healthCheckNodePort() > 0) {
                out.put(e.name().service(), e.healthCheckNodePort());
            }
        }
        return out;
    }

    /**
     * Service to the number of distinct local READY endpoint IPs summed over all its ports (kube-proxy's
     * {@code LocalReadyEndpoints}): 10.0.0.1:80 and 10.0.0.1:443 count once; terminating endpoints never
     * count. Only services with a healthCheckNodePort are listed.
     */
    public static Map<NamespacedName, Integer> localReadyEndpoints(Iterable<ServicePortEntry> entries) {
        Map<NamespacedName, Set<InetAddress>> ips = new HashMap<>();
        for (ServicePortEntry e : entries) {
            if (e.healthCheckNodePort() <= 0) {
                continue;
            }
            Set<InetAddress> set = ips.computeIfAbsent(e.name().service(), k -> new HashSet<>());
            for (Backend b : e.endpoints().backends()) {
                if (b.local() && b.state() == BackendState.READY) {
                    set.add(b.ip());
                }
            }
        }
        Map<NamespacedName, Integer> out = new HashMap<>();
        ips.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }

    /** Syncs {@code server} from the whole table: listeners first, then counts. */
    public static void sync(HealthCheckServer server, ServiceTable table) {
        var entries = table.entries();
        server.syncServices(healthCheckNodePorts(entries));
        server.syncEndpoints(localReadyEndpoints(entries));
    }
}
