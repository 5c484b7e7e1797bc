package io.vipd.proxy;

import io.vipd.lb.BackendSet;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds the {@link ProxyStats} of {@link ProxyServer#stats()}: every service port in the table with every
 * endpoint, plus service ports that left the table but still have connections or flows. Reads only
 * thread-safe state, from any thread.
 */
final class StatsSnapshot {
    private StatsSnapshot() {}

    static ProxyStats take(
            ServiceTable table,
            ServiceRuntimes services,
            BackendHealthRegistry health,
            UnavailableBackends unavailable,
            HealthChecker checker,
            ProxyMeters meters) {
        List<ProxyStats.ServiceStats> rows = new ArrayList<>();
        Set<ServicePortName> seen = new HashSet<>();
        for (ServicePortEntry entry : table.entries()) {
            seen.add(entry.name());
            rows.add(row(
                    health,
                    unavailable,
                    checker,
                    entry.name(),
                    entry.endpoints(),
                    services.existingService(entry.name())));
        }
        for (ServiceRuntime rt : services.services()) {
            if (!seen.contains(rt.name) && !rt.idle()) {
                rows.add(row(health, unavailable, checker, rt.name, BackendSet.empty(), rt));
            }
        }
        rows.sort((a, b) -> a.name().compareTo(b.name()));
        return new ProxyStats(meters.activeConnections.get(), meters.udpFlows.get(), rows);
    }

    private static ProxyStats.ServiceStats row(
            BackendHealthRegistry health,
            UnavailableBackends unavailable,
            HealthChecker checker,
            ServicePortName name,
            BackendSet endpoints,
            ServiceRuntime rt) {
        Set<String> keys = new TreeSet<>(endpoints.keys());
        if (rt != null) {
            rt.backendKeys().forEach(keys::add);
        }
        List<ProxyStats.BackendStats> backends = new ArrayList<>(keys.size());
        for (String key : keys) {
            BackendRuntime b = rt == null ? null : rt.existingBackend(key);
            ProxyStats.BackendStats stats = b != null
                    ? b.snapshot()
                    : new ProxyStats.BackendStats(key, 0, 0, 0, health.isEjected(key), health.ejections(key));
            backends.add(
                    stats.with(unavailable.isDrained(name, key), checker == null ? null : checker.status(name, key)));
        }
        return new ProxyStats.ServiceStats(
                name, rt == null ? 0 : rt.active.get(), rt == null ? 0 : rt.udpFlows.get(), backends, rt != null);
    }
}
