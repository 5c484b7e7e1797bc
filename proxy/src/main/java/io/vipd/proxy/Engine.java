package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.vipd.lb.AffinityTable;
import io.vipd.lb.BackendLoad;
import io.vipd.lb.BackendSet;
import io.vipd.lb.CandidateOrder;
import io.vipd.lb.EjectedBackends;
import io.vipd.lb.FlowHash;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * What the engine's handlers share: the table, settings, event loops, per-service runtime counters, backend
 * health and the engine-wide meters. Everything here is thread-safe or immutable after {@link ProxyServer#start}.
 */
final class Engine {
    /** How many preference-order candidates a new flow looks at (ejected ones are skipped). */
    private static final int CANDIDATE_WINDOW = 8;
    /** The most candidates a new flow looks at. */
    static final int MAX_CANDIDATES = 64;

    final ServiceTable table;
    final ProxyConfig config;
    final MeterRegistry registry;
    final Transport transport;
    final int connectTimeoutMillis;
    final long udpIdleNanos;
    /** Opens the relays' backend connections. */
    final BackendDialer backendDialer;
    /** ClientIP session affinity state of this node, shared by TCP and UDP. */
    final AffinityTable affinity = new AffinityTable();
    final AtomicInteger activeConnections = new AtomicInteger();
    final AtomicInteger udpFlows = new AtomicInteger();
    final Timer connectDuration;
    final Counter retries;
    final Counter spliced;
    final Counter udpEvictedIdle;
    final Counter udpEvictedBackendGone;
    final Counter udpEvictedUnreachable;
    final Counter udpDroppedFull;
    private final ConcurrentHashMap<ServicePortName, ServiceRuntime> services = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, BackendHealth> health = new ConcurrentHashMap<>();
    /** {@link #ejected} as the candidate order reads it, built once so a new flow allocates nothing. */
    private final EjectedBackends ejectedBackends = this::ejected;
    volatile Predicate<InetAddress> nodeAddresses = a -> false;
    volatile Predicate<InetAddress> localOrigin = a -> false;
    /** Node mode: which flows keep the client's address toward the backend. */
    volatile SourceIpPolicy sourceIp = SourceIpPolicy.CLIENT;
    MultiThreadIoEventLoopGroup group;
    Map<EventLoop, LoopState> loops = Map.of();

    Engine(ServiceTable table, ProxyConfig config, MeterRegistry registry) {
        this.table = table;
        this.config = config;
        this.registry = registry;
        this.transport = Transport.detect();
        // Netty reads 0 as "no timeout"; a sub-millisecond setting means the shortest one instead.
        this.connectTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
        this.udpIdleNanos = config.udpIdleTimeout().toNanos();
        this.backendDialer = new BackendBootstraps(transport, connectTimeoutMillis);
        connectDuration = Timer.builder("vipd.connect.duration").description("Time to connect to a backend")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        retries = Counter.builder("vipd.backend.retries")
                .description("Backend connects retried on another backend after a failure").register(registry);
        spliced = Counter.builder("vipd.connections.spliced")
                .description("TCP connections whose bytes moved by splice(2) from some point on").register(registry);
        Gauge.builder("vipd.udp.flows.active", udpFlows, AtomicInteger::get).description("UDP flows held")
                .register(registry);
        udpEvictedIdle = eviction("idle");
        udpEvictedBackendGone = eviction("backend_gone");
        udpEvictedUnreachable = eviction("unreachable");
        udpDroppedFull = eviction("full");
    }

    private Counter eviction(String reason) {
        return Counter.builder("vipd.udp.flow.evictions")
                .description("UDP flows evicted, or refused (full) because the flow table was full")
                .tag("reason", reason).register(registry);
    }

    ServiceRuntime service(ServicePortName name) {
        ServiceRuntime s = services.get(name);
        return s != null ? s : services.computeIfAbsent(name, n -> new ServiceRuntime(n, this));
    }

    /** The runtime of a service port that has seen traffic, or null; creates nothing. */
    ServiceRuntime existingService(ServicePortName name) {
        return services.get(name);
    }

    /**
     * Forgets the runtimes, metric series and ejection state of service ports that left the table and of
     * backends that left their service port, once nothing is open through them, so that service and endpoint
     * churn does not grow memory and series forever. A connection that took a departing runtime a moment
     * before it was forgotten still works; only its metrics and its share of least-connections load are lost
     * (and a backend it then reaches may leave two series behind).
     *
     * @return how many service and backend runtimes were forgotten
     */
    int forgetDeparted() {
        int[] forgotten = {0};
        for (ServicePortName name : services.keySet()) {
            ServicePortEntry entry = table.get(name);
            if (entry != null) {
                ServiceRuntime rt = services.get(name);
                if (rt != null) {
                    forgotten[0] += rt.forgetBackendsNotIn(entry.backendKeys());
                }
                continue;
            }
            // Inside the map's compute, so a replacement created meanwhile gets fresh meters, not these.
            services.computeIfPresent(name, (n, rt) -> {
                if (!rt.idle()) {
                    return rt;
                }
                rt.removeMeters();
                forgotten[0]++;
                return null;
            });
        }
        // Pickers and runtimes both look health up by key, so a forgotten record is simply recreated.
        Set<String> live = table.backendKeys();
        health.keySet().removeIf(key -> !live.contains(key));
        return forgotten[0];
    }

    /** Whether a backend address is ejected now; creates nothing. */
    boolean ejected(String key) {
        BackendHealth h = health.get(key);
        return h != null && h.isEjected();
    }

    Iterable<ServiceRuntime> services() {
        return services.values();
    }

    BackendHealth health(String key) {
        BackendHealth h = health.get(key);
        return h != null ? h : health.computeIfAbsent(key,
                k -> new BackendHealth(k, config.ejectionThreshold(), config.ejectionBackoff()));
    }

    LoopState loop(EventLoop loop) {
        return loops.get(loop);
    }

    /**
     * The table entry for traffic that arrived at {@code local}: by address, or for a NodePort listener (or a
     * transparent one whose original destination is a node address) by port.
     */
    FrontendEntry resolve(Protocol protocol, ListenerKind kind, InetSocketAddress local) {
        if (kind == ListenerKind.NODE_PORT) {
            return table.lookupNodePort(protocol, local.getPort());
        }
        FrontendEntry fe = table.lookup(protocol, local);
        if (fe == null && kind == ListenerKind.TRANSPARENT && nodeAddresses.test(local.getAddress())) {
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
    boolean transparentEgress(FrontendType type, ServicePortEntry entry, boolean shortCircuit, InetAddress client,
                              InetAddress backend) {
        return config.transparent() && transport.epoll() && client.getClass() == backend.getClass()
                && sourceIp.keepClientAddress(type, entry, shortCircuit, client, backend);
    }

    /** The flow hash Maglev keys on: the client IP alone under ClientIP affinity, else the 5-tuple. */
    static long flowHash(ServicePortEntry entry, InetSocketAddress client, InetSocketAddress frontend,
                         Protocol protocol) {
        return entry.clientIpAffinity() ? FlowHash.ofClientIp(client.getAddress())
                : FlowHash.of(client, frontend, protocol);
    }

    /**
     * The backends to try for a new flow, best first ({@link CandidateOrder}): the picker's preference order
     * for the flow hash, weighed by the service port's own load, without backends ejected on this node, and
     * under ClientIP affinity the client's recorded backend first.
     *
     * @return how many indexes were written to {@code out}
     */
    int choose(ServicePortEntry entry, Route route, BackendLoad load, InetSocketAddress client,
               InetSocketAddress frontend, Protocol protocol, LoopState loop, int[] out) {
        BackendSet set = route.backends();
        int window = Math.min(MAX_CANDIDATES, Math.min(set.size(), out.length + CANDIDATE_WINDOW));
        int[] preference = loop.scratch(window);
        int n = route.picker().preference(flowHash(entry, client, frontend, protocol), load, preference);
        int sticky = n > 0 && entry.clientIpAffinity()
                ? affinity.lookup(entry.name(), client.getAddress(), set, entry.affinityTimeoutSeconds())
                : -1;
        return CandidateOrder.order(set, preference, n, ejectedBackends, sticky, out);
    }

    /** Remembers the backend a ClientIP-affinity flow went to. */
    void recordAffinity(ServicePortEntry entry, InetSocketAddress client, String backendKey) {
        if (entry.clientIpAffinity()) {
            affinity.record(entry.name(), client.getAddress(), backendKey, entry.affinityTimeoutSeconds());
        }
    }
}
