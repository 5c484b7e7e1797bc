package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Service;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.ServicePortName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * kube-proxy's ServiceChangeTracker: the service ports of every Service as last reported, the ones a sync last
 * took, and which Services differ between the two. A change that returns to what the last sync took collapses
 * away, so a re-delivered or metadata-only update is no change at all.
 *
 * <p>Thread-safe: source threads call {@link #update}; the sync thread calls {@link #checkout} and then reads
 * what it took with {@link #applied}, which only a checkout changes.
 */
final class ServiceChangeTracker {
    private final WatcherMetrics metrics;
    private final Object lock = new Object();
    // Guarded by lock: the latest projections, the projections as of the last checkout, and what differs.
    private final Map<NamespacedName, Map<ServicePortName, ServicePortInfo>> latest = new HashMap<>();
    private final Map<NamespacedName, Map<ServicePortName, ServicePortInfo>> applied = new HashMap<>();
    private final Set<NamespacedName> pending = new HashSet<>();

    ServiceChangeTracker(WatcherMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * A Service was added ({@code previous == null}), updated or deleted ({@code current == null}).
     *
     * @return false when the object was ignored: null, or without a name (reported as a skip)
     */
    boolean update(Service previous, Service current) {
        Service any = current != null ? current : previous;
        if (any == null) {
            return false;
        }
        NamespacedName key = ServiceConversions.key(any);
        if (key == null) {
            metrics.skipped(SkipReason.MISSING_METADATA, "Service", "no metadata.name");
            return false;
        }
        Map<ServicePortName, ServicePortInfo> ports =
                current == null ? Map.of() : Map.copyOf(ServiceConversions.servicePorts(current, metrics));
        synchronized (lock) {
            Map<ServicePortName, ServicePortInfo> old = latest.getOrDefault(key, Map.of());
            if (old.equals(ports)) {
                return true;
            }
            if (ports.isEmpty()) {
                latest.remove(key);
            } else {
                latest.put(key, ports);
            }
            metrics.serviceChanges.increment();
            if (ports.equals(applied.getOrDefault(key, Map.of()))) {
                pending.remove(key);
            } else {
                pending.add(key);
            }
            metrics.serviceChangesPending.set(pending.size());
        }
        return true;
    }

    /** Whether some Service differs from what the last checkout took. */
    boolean hasPending() {
        synchronized (lock) {
            return !pending.isEmpty();
        }
    }

    /** Takes every pending change for a sync: {@link #applied} answers with them from now on. */
    Set<NamespacedName> checkout() {
        synchronized (lock) {
            Set<NamespacedName> taken = Set.copyOf(pending);
            for (NamespacedName svc : pending) {
                Map<ServicePortName, ServicePortInfo> ports = latest.get(svc);
                if (ports == null) {
                    applied.remove(svc);
                } else {
                    applied.put(svc, ports);
                }
            }
            pending.clear();
            metrics.serviceChangesPending.set(0);
            return taken;
        }
    }

    /** The Services that had ports at the last checkout. */
    Set<NamespacedName> appliedServices() {
        synchronized (lock) {
            return Set.copyOf(applied.keySet());
        }
    }

    /** A Service's ports as of the last checkout; empty when it had none. */
    Map<ServicePortName, ServicePortInfo> applied(NamespacedName svc) {
        synchronized (lock) {
            return applied.getOrDefault(svc, Map.of());
        }
    }
}
