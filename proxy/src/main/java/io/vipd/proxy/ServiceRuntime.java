package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vipd.lb.ServicePortName;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live counters of one service port on this node and its per-backend {@link BackendRuntime}s, with the
 * Micrometer meters built once per (service, backend). Thread-safe.
 */
final class ServiceRuntime {
    final ServicePortName name;
    private final String tag;
    private final Engine owner;
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger udpFlows = new AtomicInteger();
    final Counter rxBytes;
    final Counter txBytes;
    final Counter rejected;
    final Counter dropped;
    final Counter allFailed;
    private final ConcurrentHashMap<String, BackendRuntime> backends = new ConcurrentHashMap<>();

    ServiceRuntime(ServicePortName name, Engine owner) {
        this.name = name;
        this.owner = owner;
        this.tag = name.toString();
        MeterRegistry r = owner.registry;
        Gauge.builder("vipd.connections.active", active, AtomicInteger::get)
                .description("TCP client connections being relayed").tag("service", tag).register(r);
        rxBytes = Counter.builder("vipd.bytes").description("Bytes relayed; rx = client to backend")
                .tags("service", tag, "direction", "rx").baseUnit("bytes").register(r);
        txBytes = Counter.builder("vipd.bytes").description("Bytes relayed; rx = client to backend")
                .tags("service", tag, "direction", "tx").baseUnit("bytes").register(r);
        rejected = connections(r, "", "rejected");
        dropped = connections(r, "", "dropped");
        allFailed = connections(r, "", "no_backend_reachable");
    }

    private Counter connections(MeterRegistry r, String backend, String result) {
        return Counter.builder("vipd.connections").description("Connections by outcome; per backend connect attempt")
                .tags("service", tag, "backend", backend, "result", result).register(r);
    }

    BackendRuntime backend(String key) {
        BackendRuntime b = backends.get(key);
        return b != null ? b : backends.computeIfAbsent(key, k -> new BackendRuntime(k, owner.health(k),
                owner.table.connectionCounts().counter(k), connections(owner.registry, k, "ok"),
                connections(owner.registry, k, "connect_failed")));
    }

    /** The runtime of a backend that has seen traffic, or null; creates nothing. */
    BackendRuntime existingBackend(String key) {
        return backends.get(key);
    }

    Iterable<String> backendKeys() {
        return backends.keySet();
    }
}
