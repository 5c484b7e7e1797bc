package io.vipd.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ServiceRuntime} of every service port that has seen traffic on this node, created on its first
 * connection or flow and forgotten once it has left the table and nothing is open through it. Thread-safe.
 */
final class ServiceRuntimes {
    private final ServiceTable table;
    private final MeterRegistry registry;
    private final BackendHealthRegistry health;
    private final ConcurrentHashMap<ServicePortName, ServiceRuntime> services = new ConcurrentHashMap<>();

    ServiceRuntimes(ServiceTable table, MeterRegistry registry, BackendHealthRegistry health) {
        this.table = table;
        this.registry = registry;
        this.health = health;
    }

    /** The runtime of a service port, created on first use. */
    ServiceRuntime service(ServicePortName name) {
        ServiceRuntime s = services.get(name);
        return s != null ? s : services.computeIfAbsent(name, n -> new ServiceRuntime(n, registry, health));
    }

    /** The runtime of a service port that has seen traffic, or null; creates nothing. */
    ServiceRuntime existingService(ServicePortName name) {
        return services.get(name);
    }

    Iterable<ServiceRuntime> services() {
        return services.values();
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
        health.forgetAllBut(table.backendKeys());
        return forgotten[0];
    }
}
