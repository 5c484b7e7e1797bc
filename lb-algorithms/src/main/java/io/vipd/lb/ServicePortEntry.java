package io.vipd.lb;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the data plane needs to forward one service port: its frontends, the route for internal
 * traffic (ClusterIP), for external traffic (NodePort, externalIPs, LoadBalancer IPs), and for external
 * traffic that kube-proxy short-circuits to the cluster endpoints (pod- and host-originated traffic under
 * externalTrafficPolicy Local), plus affinity, source ranges and the categorized endpoints. Immutable.
 *
 * <p>Routes are kept per IP family ({@link FamilyRoutes}) when the builder is given each family's categorized
 * endpoints (the watcher: kube-proxy's one proxier per family), or shared by both families (edge mode).
 *
 * <p>Longer than most files here because it is one value with many fields, each with its javadoc'd accessor,
 * and its {@link Builder}, nested so that {@code ServicePortEntry.builder(name)...build()} reads as one thing.
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
    /** Index 0 IPv4, 1 IPv6; both the same object when the entry is family-agnostic (edge mode). */
    private final FamilyRoutes[] families;
    /** The family {@link #route(FrontendType, boolean)} and the family-less accessors use. */
    private final FamilyRoutes primary;

    private final int maglevTableSize;
    private final EdgeOptions edge;

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
        maglevTableSize = b.maglevTableSize;
        edge = b.edge;
        if (previous != null && previous.maglevTableSize != maglevTableSize) {
            previous = null; // its pickers were built for another table size
        }
        FamilyRoutes.Policy policy =
                new FamilyRoutes.Policy(algorithm, maglevTableSize, internalPolicyLocal, externalPolicyLocal);
        families = new FamilyRoutes[2];
        if (!b.familySet[0] && !b.familySet[1]) {
            FamilyRoutes shared = new FamilyRoutes(
                    policy,
                    b.clusterEndpoints,
                    b.localEndpoints,
                    b.hasAnyEndpoints,
                    previous == null ? null : previous.families[0],
                    true);
            families[0] = shared;
            families[1] = shared;
            primary = shared;
            clusterEndpoints = b.clusterEndpoints;
            localEndpoints = b.localEndpoints;
            hasAnyEndpoints = b.hasAnyEndpoints;
        } else {
            for (int i = 0; i < 2; i++) {
                // A family never given (a single-stack service's other family) has nothing to route to.
                families[i] = new FamilyRoutes(
                        policy,
                        b.familyCluster[i],
                        b.familyLocal[i],
                        b.familyHasAny[i],
                        previous == null ? null : previous.families[i],
                        b.familySet[i]);
            }
            boolean both = b.familySet[0] && b.familySet[1];
            primary = !both
                    ? families[b.familySet[0] ? 0 : 1]
                    : !families[0].hasAny && families[1].hasAny ? families[1] : families[0];
            clusterEndpoints = both ? union(families[0].cluster, families[1].cluster) : primary.cluster;
            localEndpoints = both ? union(families[0].local, families[1].local) : primary.local;
            hasAnyEndpoints = families[0].hasAny || families[1].hasAny;
        }
    }

    /** Null when both are null (kube-proxy's nil), else the backends of both. */
    private static BackendSet union(BackendSet a, BackendSet b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        List<Backend> all = new java.util.ArrayList<>(a.backends());
        all.addAll(b.backends());
        return BackendSet.of(all);
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

    /**
     * loadBalancerSourceRanges; applies to LOAD_BALANCER frontends only, per IP family: a family without a
     * range of its own allows everyone, as kube-proxy's proxier of that family does.
     */
    public List<Cidr> sourceRanges() {
        return sourceRanges;
    }

    /** Whether a new flow from {@code client} through a frontend of {@code type} passes the source ranges. */
    public boolean sourceAllowed(FrontendType type, InetAddress client) {
        return type != FrontendType.LOAD_BALANCER || SourceRanges.allow(sourceRanges, client);
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

    /**
     * CategorizeEndpoints' clusterEndpoints: null where kube-proxy's is nil. For an entry categorized per
     * family with both families, the union of the two families' lists (null when both are nil).
     */
    public BackendSet clusterEndpoints() {
        return clusterEndpoints;
    }

    /** CategorizeEndpoints' localEndpoints: null where kube-proxy's is nil; per family as above. */
    public BackendSet localEndpoints() {
        return localEndpoints;
    }

    /** Every backend key this entry lists or routes to. */
    public Set<String> backendKeys() {
        Set<String> keys = new HashSet<>(endpoints.keys());
        if (clusterEndpoints != null) {
            keys.addAll(clusterEndpoints.keys());
        }
        if (localEndpoints != null) {
            keys.addAll(localEndpoints.keys());
        }
        return keys;
    }

    /** Whether any family has a usable endpoint anywhere. */
    public boolean hasAnyEndpoints() {
        return hasAnyEndpoints;
    }

    /** The explicit Maglev table size, or 0 for the default ({@link MaglevTable#defaultSize}). */
    public int maglevTableSize() {
        return maglevTableSize;
    }

    /** Edge-mode limits, PROXY protocol from the client and TLS server names; {@link EdgeOptions#NONE} if unset. */
    public EdgeOptions edge() {
        return edge;
    }

    /**
     * The route for a new flow.
     *
     * @param type         how the flow arrived
     * @param shortCircuit true for external traffic that originated on this node or in a local pod; under
     *                     externalTrafficPolicy Local it uses the cluster endpoints, as kube-proxy does
     */
    public Route route(FrontendType type, boolean shortCircuit) {
        return primary.route(type, shortCircuit);
    }

    /**
     * The route for a new flow through a frontend of the given IP family: kube-proxy runs one proxier per
     * family, so a frontend uses only its own family's endpoints (kube-proxy-semantics.md §1.1). An entry
     * built without per-family data (edge mode) answers the same for both.
     *
     * @param ipv6 whether the frontend (the address the flow arrived at) is IPv6
     */
    public Route route(FrontendType type, boolean shortCircuit, boolean ipv6) {
        return families[ipv6 ? 1 : 0].route(type, shortCircuit);
    }

    /** One IP family's CategorizeEndpoints outputs; {@code cluster} and {@code local} may be null (nil). */
    public record Categorized(BackendSet cluster, BackendSet local, boolean hasAny) {}

    /** Whether the entry was categorized per IP family (the watcher) rather than once for both (edge mode). */
    public boolean perFamily() {
        return families[0] != families[1];
    }

    /**
     * The categorized endpoints of one family as the builder was given them, or null for a family never given
     * or an entry without per-family data ({@link #perFamily()} false: see {@link #clusterEndpoints()}).
     */
    public Categorized categorized(boolean ipv6) {
        FamilyRoutes f = families[ipv6 ? 1 : 0];
        return perFamily() && f.given ? new Categorized(f.cluster, f.local, f.hasAny) : null;
    }

    /**
     * Whether the entry routes the given IP family: a family given to {@link Builder#categorized(boolean,
     * BackendSet, BackendSet, boolean)}, or both for an entry without per-family data.
     */
    public boolean hasFamily(boolean ipv6) {
        return families[ipv6 ? 1 : 0].given;
    }

    /** The ClusterIP route of the entry's primary family; see {@link #route(FrontendType, boolean, boolean)}. */
    public Route internalRoute() {
        return primary.internal;
    }

    /** The external route of the entry's primary family; see {@link #route(FrontendType, boolean, boolean)}. */
    public Route externalRoute() {
        return primary.external;
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
        if (families[0] == families[1]) {
            b.clusterEndpoints = clusterEndpoints;
            b.localEndpoints = localEndpoints;
            b.hasAnyEndpoints = hasAnyEndpoints;
        } else {
            for (int i = 0; i < 2; i++) {
                FamilyRoutes f = families[i];
                if (f.given) {
                    b.categorized(i == 1, f.cluster, f.local, f.hasAny);
                }
            }
        }
        b.maglevTableSize = maglevTableSize;
        b.edge = edge;
        return b;
    }

    @Override
    public String toString() {
        return name + " frontends=" + frontends.size() + " internal=" + primary.internal.action()
                + primary.internal.backends() + " external=" + primary.external.action()
                + primary.external.backends();
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
        private final boolean[] familySet = new boolean[2];
        private final BackendSet[] familyCluster = new BackendSet[2];
        private final BackendSet[] familyLocal = new BackendSet[2];
        private final boolean[] familyHasAny = new boolean[2];
        private int maglevTableSize;
        private EdgeOptions edge = EdgeOptions.NONE;

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
            clearFamilies();
            return this;
        }

        /**
         * CategorizeEndpoints' outputs for one IP family, as kube-proxy's proxier of that family computes
         * them from that family's endpoints only. Once a family is given, frontends route per family, and a
         * family never given has nothing to route to (REJECT).
         */
        public Builder categorized(boolean ipv6, BackendSet cluster, BackendSet local, boolean hasAny) {
            int i = ipv6 ? 1 : 0;
            familySet[i] = true;
            familyCluster[i] = cluster;
            familyLocal[i] = local;
            familyHasAny[i] = hasAny;
            return this;
        }

        private void clearFamilies() {
            for (int i = 0; i < 2; i++) {
                familySet[i] = false;
                familyCluster[i] = null;
                familyLocal[i] = null;
                familyHasAny[i] = false;
            }
        }

        /**
         * The simple case without traffic policies (edge mode): every backend is a cluster endpoint.
         */
        public Builder backends(BackendSet all) {
            endpoints = all;
            clusterEndpoints = all;
            localEndpoints = null;
            hasAnyEndpoints = !all.isEmpty();
            clearFamilies();
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

        /** Edge-mode settings; {@link EdgeOptions#NONE} by default. */
        public Builder edge(EdgeOptions v) {
            edge = Objects.requireNonNull(v);
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
