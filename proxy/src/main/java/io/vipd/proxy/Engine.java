package io.vipd.proxy;

import io.vipd.lb.AffinityTable;
import io.vipd.lb.BackendLoad;
import io.vipd.lb.BackendSet;
import io.vipd.lb.CandidateOrder;
import io.vipd.lb.EgressAllowance;
import io.vipd.lb.EgressFilter;
import io.vipd.lb.EjectedBackends;
import io.vipd.lb.FlowHash;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServiceTable;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The routing decisions every connection and flow takes, and the settings they take them by: which table
 * entry a packet arrived for, the route, kube-proxy's short-circuit, transparent egress, the flow hash and the
 * backends to try in order, and ClientIP affinity. Knows nothing of channels, loops, runtimes or meters: the
 * handlers that serve connections ask it, and it refers to none of them. Thread-safe: immutable but for the
 * node-mode hooks, which are volatile and set by the proxy's facade.
 */
final class Engine {
    /** How many preference-order candidates a new flow looks at (ejected ones are skipped). */
    private static final int CANDIDATE_WINDOW = 8;
    /** What {@link #choose} returns when backends exist but the client's egress policy allows none of them. */
    static final int REFUSED_BY_POLICY = -1;

    final ServiceTable table;
    final ProxyConfig config;
    final Transport transport;
    /**
     * Under io_uring: epoll, for the listeners io_uring cannot serve (see {@link Listeners}); null otherwise or
     * when epoll is not available.
     */
    final Transport fallback;

    final int connectTimeoutMillis;
    final long udpIdleNanos;
    /** Opens the relays' backend connections. */
    final BackendDialer backendDialer;
    /** ClientIP session affinity state of this node, shared by TCP and UDP. */
    final AffinityTable affinity = new AffinityTable();
    /** Lines for connections and flows that end; null when off (the default). */
    volatile AccessLog accessLog;
    /** Backends the candidate order skips: ejected on this node by failed connects. */
    private final EjectedBackends ejected;
    /** Backends that take no new flows at all: drained at run time, or down by active health checks. */
    final UnavailableBackends unavailable;

    volatile Predicate<InetAddress> nodeAddresses = a -> false;
    volatile Predicate<InetAddress> localOrigin = a -> false;
    /** Node mode: which flows keep the client's address toward the backend. */
    volatile SourceIpPolicy sourceIp = SourceIpPolicy.CLIENT;
    /** Node mode: which backends each client's egress NetworkPolicy lets it reach. */
    volatile EgressFilter egress = EgressFilter.NONE;

    Engine(ServiceTable table, ProxyConfig config, EjectedBackends ejected) {
        this(table, config, ejected, new UnavailableBackends());
    }

    Engine(ServiceTable table, ProxyConfig config, EjectedBackends ejected, UnavailableBackends unavailable) {
        this.table = table;
        this.config = config;
        this.ejected = ejected;
        this.unavailable = unavailable;
        this.transport = Transport.choose(config.transport());
        this.fallback = transport.ioUring() ? Transport.epollIfAvailable() : null;
        // Netty reads 0 as "no timeout"; a sub-millisecond setting means the shortest one instead.
        this.connectTimeoutMillis = (int)
                Math.max(1, Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
        this.udpIdleNanos = config.udpIdleTimeout().toNanos();
        this.backendDialer = new BackendBootstraps(transport, fallback, connectTimeoutMillis);
    }

    /**
     * The table entry for traffic that arrived at {@code local}: by address, or for a NodePort listener (or, in
     * node mode, a listener whose local address or original destination is a node address) by port.
     */
    FrontendEntry resolve(Protocol protocol, ListenerKind kind, InetSocketAddress local) {
        if (kind == ListenerKind.NODE_PORT) {
            return table.lookupNodePort(protocol, local.getPort());
        }
        FrontendEntry fe = table.lookup(protocol, local);
        // Only node mode sets node addresses: its transparent listeners, and the IPv6 UDP NodePort listeners
        // bound to each node address (see Listeners#bind).
        if (fe == null && nodeAddresses.test(local.getAddress())) {
            fe = table.lookupNodePort(protocol, local.getPort());
        }
        return fe;
    }

    /**
     * The route for a new flow from {@code client} through {@code fe} ({@code shortCircuit} as
     * {@link #shortCircuit} says), arrived at {@code local} (the accepted
     * socket's local address, or the original destination): a frontend routes only to endpoints of its own
     * IP family, as kube-proxy's per-family proxiers do; for a NodePort the family of the node address. A
     * wildcard local address (a UDP listener on 0.0.0.0 or ::) says nothing, so the client's family decides.
     */
    Route route(FrontendEntry fe, boolean shortCircuit, InetAddress local, InetAddress client) {
        InetAddress arrivedAt = local == null || local.isAnyLocalAddress() ? client : local;
        return fe.entry().route(fe.type(), shortCircuit, arrivedAt instanceof Inet6Address);
    }

    /** External traffic that originated on this node or in a local pod (kube-proxy's short-circuit). */
    boolean shortCircuit(FrontendEntry fe, InetAddress client) {
        return fe.type().external() && localOrigin.test(client);
    }

    /**
     * Node mode: whether the backend connection binds to the client's address (IP_TRANSPARENT) rather than
     * connecting from the node's. Never across address families.
     */
    boolean transparentEgress(
            FrontendType type, ServicePortEntry entry, boolean shortCircuit, InetAddress client, InetAddress backend) {
        return config.transparent()
                && transport.nativeSockets()
                && client.getClass() == backend.getClass()
                && sourceIp.keepClientAddress(type, entry, shortCircuit, client, backend);
    }

    /** The flow hash Maglev keys on: the client IP alone under ClientIP affinity, else the 5-tuple. */
    static long flowHash(
            ServicePortEntry entry, InetSocketAddress client, InetSocketAddress frontend, Protocol protocol) {
        return entry.clientIpAffinity()
                ? FlowHash.ofClientIp(client.getAddress())
                : FlowHash.of(client, frontend, protocol);
    }

    /**
     * The backends to try for a new flow, best first ({@link CandidateOrder}): the picker's preference order
     * for the flow hash, weighed by the service port's own load, without backends drained or down by health
     * checks and backends the client's egress policy forbids, skipping backends ejected on this node, and under
     * ClientIP affinity the client's recorded backend first. A client its policy restricts looks at the whole
     * preference order, so that an allowed backend Maglev ranks low is still found.
     *
     * @return how many indexes were written to {@code out}; 0 when no backend can take the flow, or {@link
     *     #REFUSED_BY_POLICY} when backends could take it but the client may reach none of them
     */
    int choose(
            ServicePortEntry entry,
            Route route,
            BackendLoad load,
            InetSocketAddress client,
            InetSocketAddress frontend,
            Protocol protocol,
            CandidateScratch scratch,
            int[] out) {
        BackendSet set = route.backends();
        Set<String> down = unavailable.of(entry.name());
        EgressAllowance allowed = egress.allowanceFor(client.getAddress());
        long hash = flowHash(entry, client, frontend, protocol);
        int wanted = allowed == null ? out.length + CANDIDATE_WINDOW : set.size();
        int window = Math.min(CandidateScratch.MAX_CANDIDATES, Math.min(set.size(), wanted));
        int[] preference = scratch.ofLength(window);
        int n = route.picker().preference(hash, load, preference);
        int sticky = n > 0 && entry.clientIpAffinity()
                ? affinity.lookup(entry.name(), client.getAddress(), set, entry.affinityTimeoutSeconds())
                : -1;
        int k = CandidateOrder.order(set, preference, n, down, ejected, allowed, protocol, sticky, out);
        if (k > 0 || n == 0 || (down.isEmpty() && allowed == null)) {
            return k;
        }
        // Every candidate looked at is unavailable or forbidden (rare: most of the port's backends are down,
        // drained, or not allowed to this client): look beyond the window.
        if (window < Math.min(CandidateScratch.MAX_CANDIDATES, set.size())) {
            preference = scratch.ofLength(Math.min(CandidateScratch.MAX_CANDIDATES, set.size()));
            n = route.picker().preference(hash, load, preference);
            k = CandidateOrder.order(set, preference, n, down, ejected, allowed, protocol, sticky, out);
            if (k > 0) {
                return k;
            }
        }
        k = usableBeyondWindow(set, down, allowed, protocol, hash, out);
        if (k > 0 || allowed == null) {
            return k;
        }
        // Refused by policy only when the policy is what leaves nothing: some available backend exists.
        return usableBeyondWindow(set, down, null, protocol, hash, out) > 0 ? REFUSED_BY_POLICY : 0;
    }

    /**
     * Beyond the pickers' windows: available backends of weight > 0 the client may reach, in index order from a
     * point the hash picks. Rare (a set larger than the window whose first candidates are all unavailable or
     * forbidden), so plainly linear.
     */
    private static int usableBeyondWindow(
            BackendSet set, Set<String> down, EgressAllowance allowed, Protocol protocol, long hash, int[] out) {
        int size = set.size();
        if (out.length == 0 || size == 0) {
            return 0;
        }
        int start = (int) Math.floorMod(hash, (long) size);
        int k = 0;
        for (int i = 0; i < size && k < out.length; i++) {
            int index = (start + i) % size;
            if (set.get(index).weight() > 0
                    && !down.contains(set.key(index))
                    && CandidateOrder.permitted(set, index, allowed, protocol)) {
                out[k++] = index;
            }
        }
        return k;
    }

    /** Remembers the backend a ClientIP-affinity flow went to. */
    void recordAffinity(ServicePortEntry entry, InetSocketAddress client, String backendKey) {
        if (entry.clientIpAffinity()) {
            affinity.record(entry.name(), client.getAddress(), backendKey, entry.affinityTimeoutSeconds());
        }
    }
}
