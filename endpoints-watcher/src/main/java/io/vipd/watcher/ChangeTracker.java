package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stages Service, EndpointSlice and Node changes between syncs and applies them, per service port, to the
 * {@link ServiceTable}: kube-proxy's ServiceChangeTracker and EndpointsChangeTracker with its
 * EndpointSliceCache, plus the part of syncProxyRules that turns them into rules.
 *
 * <p>Event handlers ({@code on*}) only convert the object into value projections and stage them; they are
 * cheap and thread-safe. A change that returns to the last synced state collapses away. {@link #sync()} runs
 * on one thread (the {@link SyncRunner}): it drains what is pending, rebuilds only the service ports whose
 * inputs changed (others keep their entry instance), and applies upserts and removals in one call.
 * Nothing is applied before both initial lists have been seen ({@link #initialized()}).
 */
public final class ChangeTracker {
    private static final Logger log = LoggerFactory.getLogger(ChangeTracker.class);
    private static final int MAX_TRIGGER_TIMES_PER_SERVICE = 32;

    private final String nodeName;
    private final FeatureGates gates;
    private final ServiceTable table;
    private final WatcherMetrics metrics;
    private final Clock clock;
    private final Instant startTime;
    private volatile SyncObserver observer = SyncObserver.NONE;

    private final Object lock = new Object();
    // Guarded by lock: the latest projections, the projections as of the last drain, and what differs.
    private final Map<NamespacedName, Map<ServicePortName, ServicePortInfo>> services = new HashMap<>();
    private final Map<NamespacedName, Map<ServicePortName, ServicePortInfo>> appliedServices = new HashMap<>();
    private final Set<NamespacedName> pendingServices = new HashSet<>();
    private final Map<NamespacedName, Map<String, EndpointSliceInfo>> slices = new HashMap<>();
    private final Map<NamespacedName, Map<String, EndpointSliceInfo>> appliedSlices = new HashMap<>();
    private final Map<NamespacedName, Set<String>> pendingSlices = new HashMap<>();
    private final Map<NamespacedName, NamespacedName> sliceOwner = new HashMap<>();
    private final Map<NamespacedName, List<Instant>> triggerTimes = new HashMap<>();
    private final Set<NamespacedName> retry = new HashSet<>();
    private boolean fullSyncNeeded = true;
    /** The node's eligibility changed: a sync (even one with nothing to rebuild) carries it to /healthz. */
    private boolean nodeEligibilityChanged;
    private boolean servicesSynced;
    private boolean endpointSlicesSynced;
    private volatile NodeInfo node;

    private final Object syncLock = new Object();
    // Guarded by syncLock: what the table holds, and what each entry was built from.
    private final Map<NamespacedName, Map<ServicePortName, Built>> built = new HashMap<>();

    private record Built(PortInput input, ServicePortEntry entry, boolean noLocalInternal, boolean noLocalExternal) {}

    public ChangeTracker(String nodeName, FeatureGates gates, ServiceTable table, MeterRegistry registry) {
        this(nodeName, gates, table, registry, Clock.systemUTC());
    }

    public ChangeTracker(String nodeName, FeatureGates gates, ServiceTable table, MeterRegistry registry,
                         Clock clock) {
        this.nodeName = nodeName == null ? "" : nodeName;
        this.gates = Objects.requireNonNull(gates, "gates");
        this.table = Objects.requireNonNull(table, "table");
        this.metrics = new WatcherMetrics(Objects.requireNonNull(registry, "registry"));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startTime = clock.instant();
        this.node = NodeInfo.unknown(this.nodeName);
    }

    /** Who to tell when a change is queued and when a sync completed (for /healthz). */
    public void setObserver(SyncObserver observer) {
        this.observer = observer == null ? SyncObserver.NONE : observer;
    }

    public ServiceTable table() {
        return table;
    }

    public String nodeName() {
        return nodeName;
    }

    public FeatureGates gates() {
        return gates;
    }

    /** What the proxy knows of its own Node; eligible until a Node event says otherwise. */
    public NodeInfo node() {
        return node;
    }

    /**
     * A Service was added ({@code previous == null}), updated or deleted ({@code current == null}).
     *
     * @return true when a sync is needed: changes are pending and both initial lists were seen
     */
    public boolean onServiceUpdate(Service previous, Service current) {
        Service any = current != null ? current : previous;
        if (any == null) {
            return false;
        }
        NamespacedName key = ServiceConversions.key(any);
        if (key == null) {
            metrics.skipped(SkipReason.MISSING_METADATA, "Service", "no metadata.name");
            return false;
        }
        Map<ServicePortName, ServicePortInfo> ports = current == null ? Map.of()
                : Map.copyOf(ServiceConversions.servicePorts(current, metrics));
        boolean queued;
        synchronized (lock) {
            Map<ServicePortName, ServicePortInfo> old = services.getOrDefault(key, Map.of());
            if (!old.equals(ports)) {
                if (ports.isEmpty()) {
                    services.remove(key);
                } else {
                    services.put(key, ports);
                }
                metrics.serviceChanges.increment();
                if (ports.equals(appliedServices.getOrDefault(key, Map.of()))) {
                    pendingServices.remove(key);
                } else {
                    pendingServices.add(key);
                }
                updatePendingGauges();
            }
            queued = queuedLocked();
        }
        return notifyQueued(queued);
    }

    /**
     * An EndpointSlice was added or updated, or removed ({@code removed == true}). A slice that becomes
     * unusable (relabelled, FQDN) counts as removed.
     *
     * @return true when a sync is needed: changes are pending and both initial lists were seen
     */
    public boolean onEndpointSliceUpdate(EndpointSlice slice, boolean removed) {
        if (slice == null) {
            return false;
        }
        NamespacedName sliceKey = EndpointSliceConversions.sliceKey(slice);
        if (sliceKey == null) {
            metrics.skipped(SkipReason.MISSING_METADATA, "EndpointSlice", "no metadata.name");
            return false;
        }
        if (!removed && EndpointSliceConversions.serviceKey(slice) == null && !EndpointSliceConversions.excluded(slice)) {
            // As kube-proxy: an update without the service-name label is reported and ignored, so the slice's
            // last good state stays.
            metrics.skipped(SkipReason.SLICE_WITHOUT_SERVICE_LABEL, "EndpointSlice " + sliceKey,
                    "no label " + EndpointSliceConversions.SERVICE_NAME_LABEL);
            return pending() && initialized();
        }
        EndpointSliceInfo info = removed ? null : EndpointSliceConversions.convert(slice, metrics);
        NamespacedName service = info == null ? null : info.service();
        Instant trigger = removed ? null : EndpointSliceConversions.triggerTime(slice);
        boolean queued;
        synchronized (lock) {
            NamespacedName oldService = sliceOwner.get(sliceKey);
            boolean changed = false;
            if (oldService != null && !oldService.equals(service)) {
                changed |= stageSlice(oldService, sliceKey.name(), null);
                sliceOwner.remove(sliceKey);
            }
            if (service != null) {
                changed |= stageSlice(service, sliceKey.name(), info);
                sliceOwner.put(sliceKey, service);
            }
            if (changed) {
                metrics.endpointChanges.increment();
                // Only changes made after the proxy started count towards network programming latency.
                if (trigger != null && service != null && trigger.isAfter(startTime)) {
                    List<Instant> times = triggerTimes.computeIfAbsent(service, k -> new ArrayList<>());
                    if (times.size() < MAX_TRIGGER_TIMES_PER_SERVICE) {
                        times.add(trigger);
                    }
                }
                updatePendingGauges();
            }
            queued = queuedLocked();
        }
        return notifyQueued(queued);
    }

    private boolean stageSlice(NamespacedName service, String sliceName, EndpointSliceInfo info) {
        Map<String, EndpointSliceInfo> current = slices.get(service);
        EndpointSliceInfo old = current == null ? null : current.get(sliceName);
        if (Objects.equals(old, info)) {
            return false;
        }
        if (info == null) {
            current.remove(sliceName);
            if (current.isEmpty()) {
                slices.remove(service);
            }
        } else {
            slices.computeIfAbsent(service, k -> new HashMap<>()).put(sliceName, info);
        }
        EndpointSliceInfo applied = appliedSlices.getOrDefault(service, Map.of()).get(sliceName);
        if (Objects.equals(applied, info)) {
            Set<String> p = pendingSlices.get(service);
            if (p != null) {
                p.remove(sliceName);
                if (p.isEmpty()) {
                    pendingSlices.remove(service);
                }
            }
        } else {
            pendingSlices.computeIfAbsent(service, k -> new HashSet<>()).add(sliceName);
        }
        return true;
    }

    /**
     * This node's Node object changed ({@code null}: it was deleted). Other nodes are ignored. A change of the
     * zone label or of the node's addresses re-examines every service port (topology, source ranges).
     *
     * @return true when a sync is needed
     */
    public boolean onNodeUpdate(Node n) {
        NodeInfo next = n == null ? new NodeInfo(nodeName, Map.of(), false, List.of()) : NodeInfo.of(n);
        if (n != null && !nodeName.equals(next.name())) {
            return false;
        }
        boolean queued;
        synchronized (lock) {
            NodeInfo old = node;
            node = new NodeInfo(nodeName, next.labels(), next.eligible(), next.addresses());
            if (!old.zone().equals(next.zone()) || !old.addresses().equals(next.addresses())) {
                log.atInfo().addKeyValue("zone", next.zone()).addKeyValue("previousZone", old.zone())
                        .log("node topology changed; full resync");
                fullSyncNeeded = true;
            }
            if (old.eligible() != next.eligible()) {
                log.atInfo().addKeyValue("eligible", next.eligible()).log("node eligibility changed");
                nodeEligibilityChanged = true;
            }
            queued = queuedLocked();
        }
        return notifyQueued(queued);
    }

    /** The initial Service list has been delivered (kube-proxy's OnServiceSynced). Returns whether to sync. */
    public boolean servicesSynced() {
        boolean queued;
        synchronized (lock) {
            if (!servicesSynced) {
                servicesSynced = true;
                fullSyncNeeded = true;
            }
            queued = queuedLocked();
        }
        return notifyQueued(queued);
    }

    /** The initial EndpointSlice list has been delivered. Returns whether to sync. */
    public boolean endpointSlicesSynced() {
        boolean queued;
        synchronized (lock) {
            if (!endpointSlicesSynced) {
                endpointSlicesSynced = true;
                fullSyncNeeded = true;
            }
            queued = queuedLocked();
        }
        return notifyQueued(queued);
    }

    /** Both initial lists have been delivered: syncs may now program the table. */
    public boolean initialized() {
        synchronized (lock) {
            return servicesSynced && endpointSlicesSynced;
        }
    }

    /** Re-examine every service at the next sync (after a re-list, or periodically). Returns whether to sync. */
    public boolean requestFullSync() {
        boolean queued;
        synchronized (lock) {
            fullSyncNeeded = true;
            queued = queuedLocked();
        }
        return notifyQueued(queued);
    }

    /** Whether changes are waiting for a sync. */
    public boolean pending() {
        synchronized (lock) {
            return pendingLocked();
        }
    }

    private boolean pendingLocked() {
        return fullSyncNeeded || nodeEligibilityChanged || !pendingServices.isEmpty() || !pendingSlices.isEmpty()
                || !retry.isEmpty();
    }

    private boolean queuedLocked() {
        return servicesSynced && endpointSlicesSynced && pendingLocked();
    }

    private boolean notifyQueued(boolean queued) {
        if (queued) {
            metrics.lastQueuedMillis.set(clock.millis());
            observer.queued();
        }
        return queued;
    }

    private void updatePendingGauges() {
        metrics.serviceChangesPending.set(pendingServices.size());
        metrics.endpointChangesPending.set(pendingSlices.size());
    }

    /** What a sync works on: the services to re-examine and their projections, taken under the lock. */
    private record Drained(boolean full, NodeInfo node, Map<NamespacedName, Map<ServicePortName, ServicePortInfo>> ports,
                           Map<NamespacedName, List<EndpointSliceInfo>> slices, List<Instant> triggerTimes) {}

    /**
     * Drains pending changes and applies them to the table: only service ports whose inputs changed are
     * rebuilt, and unchanged ones keep their entry instance. Before {@link #initialized()} it does nothing.
     * Call from one thread (the SyncRunner's).
     *
     * @throws SyncException when some services could not be built; they are retried at the next sync and
     *                       the others were applied
     */
    public SyncResult sync() {
        synchronized (syncLock) {
            long start = System.nanoTime();
            Drained d = drain();
            if (d == null) {
                return new SyncResult(false, 0, Set.of(), Set.of(), table.generation(), Duration.ZERO);
            }
            List<ServicePortEntry> upserts = new ArrayList<>();
            List<ServicePortName> removals = new ArrayList<>();
            List<NamespacedName> failed = new ArrayList<>();
            for (Map.Entry<NamespacedName, Map<ServicePortName, ServicePortInfo>> e : d.ports().entrySet()) {
                NamespacedName svc = e.getKey();
                try {
                    syncService(svc, e.getValue(), d.slices().getOrDefault(svc, List.of()), d.node(), upserts,
                            removals);
                } catch (RuntimeException ex) {
                    failed.add(svc);
                    log.atError().addKeyValue("service", svc.toString()).setCause(ex)
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
            metrics.syncDuration.record(took);
            (d.full() ? metrics.fullSyncDuration : metrics.partialSyncDuration).record(took);
            Instant now = clock.instant();
            metrics.lastSyncMillis.set(now.toEpochMilli());
            for (Instant t : d.triggerTimes()) {
                Duration latency = Duration.between(t, now);
                if (!latency.isNegative()) {
                    metrics.networkProgramming.record(latency);
                }
            }
            if (!failed.isEmpty()) {
                synchronized (lock) {
                    retry.addAll(failed);
                }
                throw new SyncException("could not build " + failed.size() + " service(s), first " + failed.get(0));
            }
            observer.synced();
            if (d.full() || !upserted.isEmpty() || !removed.isEmpty()) {
                log.atDebug().addKeyValue("full", d.full()).addKeyValue("services", d.ports().size())
                        .addKeyValue("upserted", upserted.size()).addKeyValue("removed", removed.size())
                        .addKeyValue("generation", table.generation()).addKeyValue("millis", took.toMillis())
                        .log("synced service table");
            }
            return new SyncResult(d.full(), d.ports().size(), upserted, removed, table.generation(), took);
        }
    }

    private Drained drain() {
        synchronized (lock) {
            if (!(servicesSynced && endpointSlicesSynced)) {
                return null;
            }
            boolean full = fullSyncNeeded;
            Set<NamespacedName> touched = new HashSet<>();
            if (full) {
                touched.addAll(services.keySet());
                touched.addAll(slices.keySet());
                touched.addAll(built.keySet());
            } else {
                touched.addAll(pendingServices);
                touched.addAll(pendingSlices.keySet());
                touched.addAll(retry);
            }
            Map<NamespacedName, Map<ServicePortName, ServicePortInfo>> ports = new HashMap<>();
            Map<NamespacedName, List<EndpointSliceInfo>> sliceLists = new HashMap<>();
            List<Instant> triggers = new ArrayList<>();
            for (NamespacedName svc : touched) {
                ports.put(svc, services.getOrDefault(svc, Map.of()));
                Map<String, EndpointSliceInfo> s = slices.get(svc);
                sliceLists.put(svc, s == null ? List.of() : List.copyOf(s.values()));
                List<Instant> t = triggerTimes.remove(svc);
                if (t != null) {
                    triggers.addAll(t);
                }
            }
            for (NamespacedName svc : pendingServices) {
                Map<ServicePortName, ServicePortInfo> cur = services.get(svc);
                if (cur == null) {
                    appliedServices.remove(svc);
                } else {
                    appliedServices.put(svc, cur);
                }
            }
            for (Map.Entry<NamespacedName, Set<String>> e : pendingSlices.entrySet()) {
                Map<String, EndpointSliceInfo> cur = slices.getOrDefault(e.getKey(), Map.of());
                Map<String, EndpointSliceInfo> applied = appliedSlices.computeIfAbsent(e.getKey(), k -> new HashMap<>());
                for (String name : e.getValue()) {
                    EndpointSliceInfo info = cur.get(name);
                    if (info == null) {
                        applied.remove(name);
                    } else {
                        applied.put(name, info);
                    }
                }
                if (applied.isEmpty()) {
                    appliedSlices.remove(e.getKey());
                }
            }
            pendingServices.clear();
            pendingSlices.clear();
            retry.clear();
            fullSyncNeeded = false;
            nodeEligibilityChanged = false;
            updatePendingGauges();
            return new Drained(full, node, ports, sliceLists, triggers);
        }
    }

    private void syncService(NamespacedName svc, Map<ServicePortName, ServicePortInfo> ports,
                             List<EndpointSliceInfo> sliceList, NodeInfo n, List<ServicePortEntry> upserts,
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
        boolean policyLocal = external ? info.externalPolicyLocal() && info.externallyAccessible()
                : info.internalPolicyLocal();
        return policyLocal && entry.hasAnyEndpoints()
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

    /** The built entry of a service port, for tests and status pages; null when none. */
    public ServicePortEntry entry(ServicePortName name) {
        return table.get(name);
    }
}
