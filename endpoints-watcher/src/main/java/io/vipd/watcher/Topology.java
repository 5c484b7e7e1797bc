package io.vipd.watcher;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * kube-proxy's CategorizeEndpoints (pkg/proxy/topology.go), transcribed: which endpoints Cluster-policy and
 * Local-policy traffic may use, with topology hints (PreferSameZone, PreferSameNode) applied to Cluster
 * endpoints only and the terminating fallback decided independently for each policy. Pure and static.
 */
public final class Topology {
    static final String PREFER_SAME_NODE = "PreferSameNode";
    static final String PREFER_SAME_ZONE = "PreferSameZone";

    private Topology() {}

    /**
     * The outputs of CategorizeEndpoints. {@code cluster} and {@code local} are null exactly where kube-proxy's
     * are nil; {@code all} is their union (de-duplicated by ip:port); {@code hasAny} is true when the service
     * has a usable endpoint anywhere in the cluster.
     */
    public record Categorized(List<Backend> cluster, List<Backend> local, List<Backend> all, boolean hasAny) {
        public BackendSet clusterSet() {
            return cluster == null ? null : BackendSet.of(cluster);
        }

        public BackendSet localSet() {
            return local == null ? null : BackendSet.of(local);
        }
    }

    /**
     * @param endpoints      the service port's endpoints (already de-duplicated)
     * @param usesCluster    ServicePort.UsesClusterEndpoints()
     * @param usesLocal      ServicePort.UsesLocalEndpoints()
     * @param nodeName       this node's name
     * @param zone           this node's topology.kubernetes.io/zone label, "" when absent
     * @param preferSameNode the PreferSameTrafficDistribution gate
     */
    public static Categorized categorize(
            List<Backend> endpoints,
            boolean usesCluster,
            boolean usesLocal,
            String nodeName,
            String zone,
            boolean preferSameNode) {
        if (endpoints.isEmpty()) {
            return new Categorized(null, null, null, false);
        }
        boolean hasAny = false;
        String topologyMode = "";
        boolean useServingTerminating = false;
        List<Backend> cluster = null;
        if (usesCluster) {
            topologyMode = topologyModeFromHints(endpoints, nodeName, zone, preferSameNode);
            cluster = new ArrayList<>();
            for (Backend ep : endpoints) {
                if (ready(ep) && availableForTopology(ep, topologyMode, nodeName, zone)) {
                    cluster.add(ep);
                }
            }
            // No ready endpoint anywhere (topology can't empty the list): fall back to serving+terminating,
            // ignoring topology.
            if (cluster.isEmpty()) {
                for (Backend ep : endpoints) {
                    if (servingTerminating(ep)) {
                        cluster.add(ep);
                    }
                }
            }
            if (!cluster.isEmpty()) {
                hasAny = true;
            }
        }
        if (!usesLocal) {
            return new Categorized(cluster, null, cluster, hasAny);
        }
        boolean hasLocalReady = false;
        boolean hasLocalServingTerminating = false;
        for (Backend ep : endpoints) {
            if (ready(ep)) {
                hasAny = true;
                hasLocalReady |= ep.local();
            } else if (servingTerminating(ep)) {
                hasAny = true;
                hasLocalServingTerminating |= ep.local();
            }
        }
        List<Backend> local = null;
        if (hasLocalReady) {
            local = new ArrayList<>();
            for (Backend ep : endpoints) {
                if (ep.local() && ready(ep)) {
                    local.add(ep);
                }
            }
        } else if (hasLocalServingTerminating) {
            useServingTerminating = true;
            local = new ArrayList<>();
            for (Backend ep : endpoints) {
                if (ep.local() && servingTerminating(ep)) {
                    local.add(ep);
                }
            }
        }
        if (!usesCluster) {
            return new Categorized(null, local, local, hasAny);
        }
        if (topologyMode.isEmpty() && !useServingTerminating) {
            // cluster is then a superset of local
            return new Categorized(cluster, local, cluster, hasAny);
        }
        Map<String, Backend> all = new LinkedHashMap<>();
        for (Backend ep : cluster) {
            all.putIfAbsent(ep.key(), ep);
        }
        if (local != null) {
            for (Backend ep : local) {
                all.putIfAbsent(ep.key(), ep);
            }
        }
        return new Categorized(cluster, local, new ArrayList<>(all.values()), hasAny);
    }

    /** Which hints to obey: PreferSameNode, PreferSameZone or none (""). Looks only at ready endpoints. */
    static String topologyModeFromHints(List<Backend> endpoints, String nodeName, String zone, boolean preferSameNode) {
        boolean hasReady = false;
        boolean hasForNode = false;
        boolean hasForZone = false;
        boolean allNodeHints = true;
        boolean allZoneHints = true;
        for (Backend ep : endpoints) {
            if (!ready(ep)) {
                continue;
            }
            hasReady = true;
            if (ep.nodeHints().isEmpty()) {
                allNodeHints = false;
            } else if (ep.nodeHints().contains(nodeName)) {
                hasForNode = true;
            }
            if (ep.zoneHints().isEmpty()) {
                allZoneHints = false;
            } else if (ep.zoneHints().contains(zone)) {
                hasForZone = true;
            }
        }
        if (!hasReady) {
            return "";
        }
        if (preferSameNode && allNodeHints && hasForNode) {
            return PREFER_SAME_NODE;
        }
        if (allZoneHints && hasForZone) {
            return PREFER_SAME_ZONE;
        }
        return "";
    }

    static boolean availableForTopology(Backend ep, String mode, String nodeName, String zone) {
        switch (mode) {
            case "":
                return true;
            case PREFER_SAME_NODE:
                return ep.nodeHints().contains(nodeName);
            case PREFER_SAME_ZONE:
                return ep.zoneHints().contains(zone);
            default:
                return false;
        }
    }

    private static boolean ready(Backend ep) {
        return ep.state() == BackendState.READY;
    }

    private static boolean servingTerminating(Backend ep) {
        return ep.state() == BackendState.SERVING_TERMINATING;
    }
}
