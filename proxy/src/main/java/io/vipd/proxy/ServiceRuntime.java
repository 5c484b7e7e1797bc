package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vipd.lb.BackendLoad;
import io.vipd.lb.ServicePortName;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live counters of one service port on this node and its per-backend {@link BackendRuntime}s, with the
 * Micrometer meters built once per service port (connect time included) and per (service, backend).
 * Thread-safe.
 */
final class ServiceRuntime implements BackendLoad {
    /**
     * The connect-time buckets of every service port: a fixed 14 (0.5 ms to 10 s, 1-2.5-5 steps), so a
     * service port costs 18 series for it (15 buckets with +Inf, count, sum, max) rather than the 70-odd of a
     * percentile histogram.
     */
    static final Duration[] CONNECT_BUCKETS = {
        Duration.ofNanos(500_000),
        Duration.ofMillis(1),
        Duration.ofNanos(2_500_000),
        Duration.ofMillis(5),
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10)
    };

    final ServicePortName name;
    /** The name as status pages and the access log print it. */
    final String tag;

    private final MeterRegistry registry;
    private final BackendHealthRegistry health;
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger udpFlows = new AtomicInteger();
    final Counter rxBytes;
    final Counter txBytes;
    final Counter rejected;
    final Counter dropped;
    final Counter allFailed;
    final Timer connectDuration;
    /** New flows refused because the client's egress NetworkPolicy allows none of the backends. */
    final Counter refusedByPolicy;

    private final List<Meter> meters;
    private final ConcurrentHashMap<String, BackendRuntime> backends = new ConcurrentHashMap<>();
    /** maxConnections: used only by a service that sets it. */
    final ConnectionGate gate = new ConnectionGate();
    /** maxConnectionsPerBackend: connections waiting because every candidate backend is full. */
    private final ConcurrentLinkedQueue<BackendConnector> slotWaiters = new ConcurrentLinkedQueue<>();

    ServiceRuntime(ServicePortName name, MeterRegistry registry, BackendHealthRegistry health) {
        this.name = name;
        this.registry = registry;
        this.health = health;
        this.tag = name.toString();
        Gauge activeGauge = Gauge.builder("vipd.connections.active", active, AtomicInteger::get)
                .description("TCP client connections being relayed")
                .tag("service", tag)
                .register(registry);
        rxBytes = Counter.builder("vipd.bytes")
                .description("Bytes relayed; rx = client to backend")
                .tags("service", tag, "direction", "rx")
                .baseUnit("bytes")
                .register(registry);
        txBytes = Counter.builder("vipd.bytes")
                .description("Bytes relayed; rx = client to backend")
                .tags("service", tag, "direction", "tx")
                .baseUnit("bytes")
                .register(registry);
        rejected = connections("", "rejected");
        dropped = connections("", "dropped");
        allFailed = connections("", "no_backend_reachable");
        connectDuration = Timer.builder("vipd.connect.duration")
                .description("Time to connect to a backend")
                .tag("service", tag)
                .serviceLevelObjectives(CONNECT_BUCKETS)
                .register(registry);
        refusedByPolicy = Counter.builder("vipd.connections.refused.by.policy")
                .description("New connections and UDP flows refused because the client's egress NetworkPolicy "
                        + "allows none of the service port's backends")
                .tag("service", tag)
                .register(registry);
        meters = List.of(activeGauge, rxBytes, txBytes, rejected, dropped, allFailed, connectDuration, refusedByPolicy);
    }

    private Counter connections(String backend, String result) {
        return Counter.builder("vipd.connections")
                .description("Connections by outcome; per backend connect attempt")
                .tags("service", tag, "backend", backend, "result", result)
                .register(registry);
    }

    BackendRuntime backend(String key) {
        BackendRuntime b = backends.get(key);
        return b != null
                ? b
                : backends.computeIfAbsent(
                        key,
                        k -> new BackendRuntime(k, health, connections(k, "ok"), connections(k, "connect_failed")));
    }

    /**
     * Least connections' load: connections open through this service port, per backend (as IPVS's lc and
     * HAProxy's leastconn count them per virtual service). Lock-free, creates nothing.
     */
    @Override
    public int activeConnections(String backendKey) {
        BackendRuntime b = backends.get(backendKey);
        return b == null ? 0 : b.active.get();
    }

    /** A connection waits for a backend slot (maxConnectionsPerBackend). */
    void waitForBackendSlot(BackendConnector waiter) {
        slotWaiters.add(waiter);
    }

    /** A waiter that stopped waiting (timed out, or its client left): O(waiters), off the common path. */
    void stopWaitingForBackendSlot(BackendConnector waiter) {
        slotWaiters.remove(waiter);
    }

    /** A backend connection under maxConnectionsPerBackend ended: the longest waiter tries again, on its loop. */
    void backendSlotFreed() {
        BackendConnector w = slotWaiters.poll();
        if (w != null) {
            w.client.eventLoop().execute(w::slotFreed);
        }
    }

    /** The runtime of a backend that has seen traffic, or null; creates nothing. */
    BackendRuntime existingBackend(String key) {
        return backends.get(key);
    }

    Iterable<String> backendKeys() {
        return backends.keySet();
    }

    /** Whether no connection or UDP flow is open through this service port. */
    boolean idle() {
        return active.get() == 0 && udpFlows.get() == 0;
    }

    /**
     * Forgets the runtimes and metric series of backends not in {@code liveKeys} with nothing open to them.
     *
     * @return how many were forgotten
     */
    int forgetBackendsNotIn(Set<String> liveKeys) {
        int[] forgotten = {0};
        for (String key : backends.keySet()) {
            if (liveKeys.contains(key)) {
                continue;
            }
            // Inside the map's compute, so a replacement created meanwhile registers fresh meters after these
            // are removed instead of receiving them.
            backends.computeIfPresent(key, (k, b) -> {
                if (b.active.get() != 0) {
                    return b;
                }
                b.removeMeters(registry);
                forgotten[0]++;
                return null;
            });
        }
        return forgotten[0];
    }

    /** Removes this service port's metric series and its backends' from the registry. */
    void removeMeters() {
        meters.forEach(registry::remove);
        backends.values().forEach(b -> b.removeMeters(registry));
    }
}
