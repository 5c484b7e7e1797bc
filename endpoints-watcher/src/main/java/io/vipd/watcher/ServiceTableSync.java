package io.vipd.watcher;

import io.vipd.lb.NamespacedName;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync step, the part of kube-proxy's syncProxyRules that turns the tracked changes into rules: takes what
 * the {@link ServiceChangeTracker} and the {@link EndpointsChangeTracker} staged since the last sync, rebuilds
 * the {@link ServicePortEntry} of only the service ports whose inputs changed (the others keep their entry
 * instance, with its pickers and Maglev tables), and applies upserts and removals to the {@link ServiceTable}
 * in one call.
 *
 * <p>One thread at a time (the {@link SyncRunner}'s): {@link ChangeTracker#sync()} serialises the calls.
 */
final class ServiceTableSync {
    private static final Logger log = LoggerFactory.getLogger(ServiceTableSync.class);

    private final ServiceChangeTracker services;
    private final EndpointsChangeTracker endpoints;
    private final FeatureGates gates;
    private final ServiceTable table;
    private final WatcherMetrics metrics;
    private final Clock clock;
    /** What the table holds, per service, and what each entry was built from. */
    private final Map<NamespacedName, Map<ServicePortName, Built>> built = new HashMap<>();

    private record Built(PortInput input, ServicePortEntry entry, boolean noLocalInternal, boolean noLocalExternal) {}

    /**
     * What one sync did; {@code failed} are the services that could not be built: they kept their entries
     * and must be examined again at the next sync.
     */
    record Outcome(SyncResult result, List<NamespacedName> failed, RuntimeException firstFailure) {}

    ServiceTableSync(
            ServiceChangeTracker services,
            EndpointsChangeTracker endpoints,
            FeatureGates gates,
            ServiceTable table,
            WatcherMetrics metrics,
            Clock clock) {
        this.services = services;
        this.endpoints = endpoints;
        this.gates = gates;
        this.table = table;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Takes the staged changes and applies them.
     *
     * @param full  re-examine every service, changed or not
     * @param node  this node as of now
     * @param retry services whose last build failed: examined again even if unchanged
     */
    Outcome sync(boolean full, NodeInfo node, Set<NamespacedName> retry) {
        long start = System.nanoTime();
        Set<NamespacedName> changedServices = services.checkout();
        Set<NamespacedName> changedSlices = endpoints.checkout();
        Set<NamespacedName> touched = new HashSet<>();
        if (full) {
            // Every service either tracker knows (as of the checkouts) and every service the table holds.
            touched.addAll(services.appliedServices());
            touched.addAll(endpoints.appliedServices());
            touched.addAll(built.keySet());
        } else {
            touched.addAll(changedServices);
            touched.addAll(changedSlices);
            touched.addAll(retry);
        }
        List<Instant> triggerTimes = endpoints.takeTriggerTimes(touched);

        List<ServicePortEntry> upserts = new ArrayList<>();
        List<ServicePortName> removals = new ArrayList<>();
        List<NamespacedName> failed = new ArrayList<>();
        RuntimeException firstFailure = null;
        for (NamespacedName svc : touched) {
            try {
                syncService(svc, services.applied(svc), endpoints.applied(svc), node, upserts, removals);
            } catch (RuntimeException ex) {
                failed.add(svc);
                firstFailure = firstFailure == null ? ex : firstFailure;
                log.atError()
                        .addKeyValue("service", svc.toString())
                        .setCause(ex)
                        .log("could not build the service's entries; keeping the previous ones");
            }
        }
        Set<ServicePortName> changed = table.apply(upserts, removals);
        Set<ServicePortName> upserted = new LinkedHashSet<>();
        for (ServicePortEntry u : upserts) {
            upserted.add(u.name());
        }
        Set<ServicePortName> removed = new LinkedHashSet<>(removals);
        removed.retainAll(changed);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        recordMetrics(full, took, triggerTimes);
        if (failed.isEmpty() && (full || !upserted.isEmpty() || !removed.isEmpty())) {
            log.atDebug()
                    .addKeyValue("full", full)
                    .addKeyValue("services", touched.size())
                    .addKeyValue("upserted", upserted.size())
                    .addKeyValue("removed", removed.size())
                    .addKeyValue("generation", table.generation())
                    .addKeyValue("millis", took.toMillis())
                    .log("synced service table");
        }
        SyncResult result = new SyncResult(full, touched.size(), upserted, removed, table.generation(), took);
        return new Outcome(result, failed, firstFailure);
    }

    private void recordMetrics(boolean full, Duration took, List<Instant> triggerTimes) {
        metrics.syncDuration.record(took);
        (full ? metrics.fullSyncDuration : metrics.partialSyncDuration).record(took);
        Instant now = clock.instant();
        metrics.lastSyncMillis.set(now.toEpochMilli());
        for (Instant t : triggerTimes) {
            Duration latency = Duration.between(t, now);
            if (!latency.isNegative()) {
                metrics.networkProgramming.record(latency);
            }
        }
    }

    private void syncService(
            NamespacedName svc,
            Map<ServicePortName, ServicePortInfo> ports,
            List<EndpointSliceInfo> sliceList,
            NodeInfo n,
            List<ServicePortEntry> upserts,
            List<ServicePortName> removals) {
        Map<ServicePortName, Built> old = built.getOrDefault(svc, Map.of());
        Map<ServicePortName, Built> next = new HashMap<>();
        List<ServicePortEntry> myUpserts = new ArrayList<>();
        for (ServicePortInfo info : ports.values()) {
            PortInput in = EntryFactory.input(info, sliceList, n, gates);
            Built prev = old.get(info.name());
            if (prev != null && prev.input().equals(in)) {
                next.put(info.name(), prev);
                continue;
            }
            ServicePortEntry entry = EntryFactory.build(in, prev == null ? null : prev.entry());
            next.put(info.name(), new Built(in, entry, noLocal(info, entry, false), noLocal(info, entry, true)));
            myUpserts.add(entry);
        }
        // Commit only after every port of the service built, so a failure leaves the service as it was.
        for (Map.Entry<ServicePortName, Built> e : old.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                removals.add(e.getKey());
            }
            adjustNoLocal(e.getValue(), -1);
        }
        for (Built b : next.values()) {
            adjustNoLocal(b, +1);
        }
        upserts.addAll(myUpserts);
        if (next.isEmpty()) {
            built.remove(svc);
        } else {
            built.put(svc, next);
        }
    }

    /** kube-proxy's no_local_endpoints condition: a Local policy, endpoints somewhere, none here. */
    private static boolean noLocal(ServicePortInfo info, ServicePortEntry entry, boolean external) {
        boolean policyLocal =
                external ? info.externalPolicyLocal() && info.externallyAccessible() : info.internalPolicyLocal();
        return policyLocal
                && entry.hasAnyEndpoints()
                && (entry.localEndpoints() == null || entry.localEndpoints().isEmpty());
    }

    private void adjustNoLocal(Built b, int delta) {
        if (b.noLocalInternal()) {
            metrics.noLocalInternal.addAndGet(delta);
        }
        if (b.noLocalExternal()) {
            metrics.noLocalExternal.addAndGet(delta);
        }
    }
}
