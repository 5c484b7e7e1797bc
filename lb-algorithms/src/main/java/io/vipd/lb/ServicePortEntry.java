package io.vipd.lb;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * Everything the data plane needs to forward one service port: its frontends, the route for internal
 * traffic (ClusterIP), for external traffic (NodePort, externalIPs, LoadBalancer IPs), and for external
 * traffic that kube-proxy short-circuits to the cluster endpoints (pod- and host-originated traffic under
 * externalTrafficPolicy Local), plus affinity, source ranges and the categorized endpoints. Immutable.
 */
public final class ServicePortEntry {
    private final ServicePortName name;
    private final List<ServiceFrontend> frontends;
    private final Algorithm algorithm;
    private final int affinityTimeoutSeconds;
    private final ProxyProtocol proxyProtocol;
    private final List<Cidr> sourceRanges;
    private final int healthCheckNodePort;
    private final boolean internalPolicyLocal;
    private final boolean externalPolicyLocal;
    private final BackendSet endpoints;
    private final BackendSet clusterEndpoints;
    private final BackendSet localEndpoints;
    private final boolean hasAnyEndpoints;
    private final Route internal;
    private final Route external;
    private final Route shortCircuit;
    private final ConnectionCounts connectionCounts;
    private final int maglevTableSize;

    private ServicePortEntry(Builder b, ServicePortEntry previous) {
        name = Objects.requireNonNull(b.name, "name");
        frontends = List.copyOf(b.frontends);
        algorithm = b.algorithm;
        affinityTimeoutSeconds = b.affinityTimeoutSeconds;
        proxyProtocol = b.proxyProtocol;
        sourceRanges = List.copyOf(b.sourceRanges);
        healthCheckNodePort = b.healthCheckNodePort;
        internalPolicyLocal = b.internalPolicyLocal;
        externalPolicyLocal = b.externalPolicyLocal;
        endpoints = b.endpoints;
        clusterEndpoints = b.clusterEndpoints;
        localEndpoints = b.localEndpoints;
        hasAnyEndpoints = b.hasAnyEndpoints;
        connectionCounts = b.counts;
        maglevTableSize = b.maglevTableSize;
        if (previous != null && (previous.maglevTableSize != maglevTableSize
                || previous.connectionCounts != connectionCounts && algorithm == Algorithm.LEAST_CONNECTIONS)) {
            previous = null; // its pickers were built for another table size or read other counters
        }
        Route clusterRoute = route(clusterEndpoints, Action.REJECT, b.counts, previous == null ? null
                : previous.clusterRoute(), previous);
        Route localRoute = route(localEndpoints, hasAnyEndpoints ? Action.DROP : Action.REJECT, b.counts,
                previous == null ? null : previous.localRoute(), previous);
        if (!hasAnyEndpoints) {
            clusterRoute = Route.REJECT;
            localRoute = Route.REJECT;
        }
        internal = internalPolicyLocal ? localRoute : clusterRoute;
        external = externalPolicyLocal ? localRoute : clusterRoute;
        shortCircuit = clusterRoute;
    }

    private Route route(BackendSet set, Action whenEmpty, ConnectionCounts counts, Route previous,
                        ServicePortEntry prev) {
        if (set == null || set.isEmpty() || set.eligibleCount() == 0) {
            return whenEmpty == Action.DROP ? Route.DROP : Route.REJECT;
        }
        return Route.forward(set, algorithm, counts, maglevTableSize, previous, prev == null ? null : prev.algorithm);
    }

    private Route clusterRoute() {
        return shortCircuit;
    }

    private Route localRoute() {
        return internalPolicyLocal ? internal : externalPolicyLocal ? external : null;
    }

    public static Builder builder(ServicePortName name) {
        return new Builder(name);
    }

    public ServicePortName name() {
        return name;
    }

    public List<ServiceFrontend> frontends() {
        return frontends;
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    /** ClientIP affinity timeout; 0 means sessionAffinity None. */
    public int affinityTimeoutSeconds() {
        return affinityTimeoutSeconds;
    }

    public boolean clientIpAffinity() {
        return affinityTimeoutSeconds > 0;
    }

    public ProxyProtocol proxyProtocol() {
        return proxyProtocol;
    }

    /** loadBalancerSourceRanges; empty allows everyone. Applies to LOAD_BALANCER frontends only. */
    public List<Cidr> sourceRanges() {
        return sourceRanges;
    }

    /** Whether a new flow from {@code client} through a frontend of {@code type} passes the source ranges. */
    public boolean sourceAllowed(FrontendType type, InetAddress client) {
        if (type != FrontendType.LOAD_BALANCER || sourceRanges.isEmpty()) {
            return true;
        }
        for (Cidr c : sourceRanges) {
            if (c.contains(client)) {
                return true;
            }
        }
        return false;
    }

    public int healthCheckNodePort() {
        return healthCheckNodePort;
    }

    public boolean internalPolicyLocal() {
        return internalPolicyLocal;
    }

    public boolean externalPolicyLocal() {
        return externalPolicyLocal;
    }

    /** Every endpoint of the port, whatever its state (for status, UDP eviction and health checks). */
    public BackendSet endpoints() {
        return endpoints;
    }

    /** CategorizeEndpoints' clusterEndpoints: null where kube-proxy's is nil. */
    public BackendSet clusterEndpoints() {
        return clusterEndpoints;
    }

    /** CategorizeEndpoints' localEndpoints: null where kube-proxy's is nil. */
    public BackendSet localEndpoints() {
        return localEndpoints;
    }

    public boolean hasAnyEndpoints() {
        return hasAnyEndpoints;
    }

    /** The explicit Maglev table size, or 0 for the default ({@link MaglevTable#defaultSize}). */
    public int maglevTableSize() {
        return maglevTableSize;
    }

    /** The counters this entry's least-connections pickers read; {@link ServiceTable} installs its own. */
    public ConnectionCounts connectionCounts() {
        return connectionCounts;
    }

    /**
     * The route for a new flow.
     *
     * @param type         how the flow arrived
     * @param shortCircuit true for external traffic that originated on this node or in a local pod; under
     *                     externalTrafficPolicy Local it uses the cluster endpoints, as kube-proxy does
     */
    public Route route(FrontendType type, boolean shortCircuit) {
        if (!type.external()) {
            return internal;
        }
        return shortCircuit && externalPolicyLocal ? this.shortCircuit : external;
    }

    public Route internalRoute() {
        return internal;
    }

    public Route externalRoute() {
        return external;
    }

    /** A builder over the same settings, for changing a few of them. */
    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.frontends = frontends;
        b.algorithm = algorithm;
        b.affinityTimeoutSeconds = affinityTimeoutSeconds;
        b.proxyProtocol = proxyProtocol;
        b.sourceRanges = sourceRanges;
        b.healthCheckNodePort = healthCheckNodePort;
        b.internalPolicyLocal = internalPolicyLocal;
        b.externalPolicyLocal = externalPolicyLocal;
        b.endpoints = endpoints;
        b.clusterEndpoints = clusterEndpoints;
        b.localEndpoints = localEndpoints;
        b.hasAnyEndpoints = hasAnyEndpoints;
        b.counts = connectionCounts;
        b.maglevTableSize = maglevTableSize;
        return b;
    }

    @Override
    public String toString() {
        return name + " frontends=" + frontends.size() + " internal=" + internal.action() + internal.backends()
                + " external=" + external.action() + external.backends();
    }

    /** Builds an entry. Not thread-safe. */
    public static final class Builder {
        private final ServicePortName name;
        private List<ServiceFrontend> frontends = List.of();
        private Algorithm algorithm = Algorithm.MAGLEV;
        private int affinityTimeoutSeconds;
        private ProxyProtocol proxyProtocol = ProxyProtocol.NONE;
        private List<Cidr> sourceRanges = List.of();
        private int healthCheckNodePort;
        private boolean internalPolicyLocal;
        private boolean externalPolicyLocal;
        private BackendSet endpoints = BackendSet.empty();
        private BackendSet clusterEndpoints = BackendSet.empty();
        private BackendSet localEndpoints;
        private boolean hasAnyEndpoints;
        private ConnectionCounts counts = new ConnectionCounts();
        private int maglevTableSize;

        private Builder(ServicePortName name) {
            this.name = name;
        }

        public Builder frontends(List<ServiceFrontend> v) {
            frontends = v;
            return this;
        }

        public Builder algorithm(Algorithm v) {
            algorithm = Objects.requireNonNull(v);
            return this;
        }

        /** 0 for sessionAffinity None; otherwise 1..86400 seconds. */
        public Builder affinityTimeoutSeconds(int v) {
            if (v < 0 || v > 86400) {
                throw new IllegalArgumentException("sessionAffinity timeout " + v + " outside 1..86400 seconds");
            }
            affinityTimeoutSeconds = v;
            return this;
        }

        public Builder proxyProtocol(ProxyProtocol v) {
            proxyProtocol = Objects.requireNonNull(v);
            return this;
        }

        public Builder sourceRanges(List<Cidr> v) {
            sourceRanges = v;
            return this;
        }

        public Builder healthCheckNodePort(int v) {
            healthCheckNodePort = v;
            return this;
        }

        public Builder internalPolicyLocal(boolean v) {
            internalPolicyLocal = v;
            return this;
        }

        public Builder externalPolicyLocal(boolean v) {
            externalPolicyLocal = v;
            return this;
        }

        /** All endpoints of the port, any state. */
        public Builder endpoints(BackendSet v) {
            endpoints = Objects.requireNonNull(v);
            return this;
        }

        /**
         * CategorizeEndpoints' outputs. {@code cluster} and {@code local} may be null (kube-proxy's nil).
         */
        public Builder categorized(BackendSet cluster, BackendSet local, boolean hasAny) {
            clusterEndpoints = cluster;
            localEndpoints = local;
            hasAnyEndpoints = hasAny;
            return this;
        }

        /**
         * The simple case without traffic policies (edge mode): every backend is a cluster endpoint.
         */
        public Builder backends(BackendSet all) {
            endpoints = all;
            clusterEndpoints = all;
            localEndpoints = null;
            hasAnyEndpoints = !all.isEmpty();
            return this;
        }

        /**
         * The counters least-connections pickers read: the proxy updates {@link ServiceTable#connectionCounts()},
         * and {@link ServiceTable#apply} rebuilds a least-connections entry built with other counters.
         */
        public Builder connectionCounts(ConnectionCounts v) {
            counts = Objects.requireNonNull(v);
            return this;
        }

        /**
         * An explicit prime Maglev table size (at most {@link MaglevTable#MAX_SIZE}), or 0 for the default of
         * M ≥ 100·N from {@link MaglevTable#SIZE_LADDER}. If the backends outgrow it, the default is used.
         */
        public Builder maglevTableSize(int v) {
            if (v != 0) {
                MaglevTable.checkSize(v);
            }
            maglevTableSize = v;
            return this;
        }

        public ServicePortEntry build() {
            return new ServicePortEntry(this, null);
        }

        /** Builds, reusing {@code previous}'s pickers (and their Maglev tables) where the backends are equal. */
        public ServicePortEntry build(ServicePortEntry previous) {
            return new ServicePortEntry(this, previous);
        }
    }
}
