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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where sources report Service, EndpointSlice and Node changes, and where syncs start: the event-handler half
 * of kube-proxy's proxier. Services are staged in a {@link ServiceChangeTracker}, slices in an
 * {@link EndpointsChangeTracker}; this class keeps this node's {@link NodeInfo}, whether both initial lists
 * have been seen, and what forces a full sync, and {@link #sync()} hands all of it to the
 * {@link ServiceTableSync}, which applies it, per service port, to the {@link ServiceTable}.
 *
 * <p>Event handlers ({@code on*}) only convert the object into value projections and stage them; they are
 * cheap and thread-safe. A change that returns to the last synced state collapses away. {@link #sync()} runs
 * on one thread (the {@link SyncRunner}): it takes what is pending, rebuilds only the service ports whose
 * inputs changed (others keep their entry instance), and applies upserts and removals in one call.
 * Nothing is applied before both initial lists have been seen ({@link #initialized()}).
 */
public final class ChangeTracker {
    private static final Logger log = LoggerFactory.getLogger(ChangeTracker.class);

    private final String nodeName;
    private final FeatureGates gates;
    private final ServiceTable table;
    private final WatcherMetrics metrics;
    private final Clock clock;
    private final ServiceChangeTracker services;
    private final EndpointsChangeTracker endpoints;
    private final ServiceTableSync tableSync;
    private volatile SyncObserver observer = SyncObserver.NONE;

    // Lock order: lock, then a tracker's own lock; never the other way round.
    private final Object lock = new Object();
    // Guarded by lock.
    private final Set<NamespacedName> retry = new HashSet<>();
    private boolean fullSyncNeeded = true;
    /** The node's eligibility changed: a sync (even one with nothing to rebuild) carries it to /healthz. */
    private boolean nodeEligibilityChanged;

    private boolean servicesSynced;
    private boolean endpointSlicesSynced;
    private volatile NodeInfo node;

    /** Serialises syncs. */
    private final Object syncLock = new Object();

    public ChangeTracker(String nodeName, FeatureGates gates, ServiceTable table, MeterRegistry registry) {
        this(nodeName, gates, table, registry, Clock.systemUTC());
    }

    public ChangeTracker(String nodeName, FeatureGates gates, ServiceTable table, MeterRegistry registry, Clock clock) {
        this.nodeName = nodeName == null ? "" : nodeName;
        this.gates = Objects.requireNonNull(gates, "gates");
        this.table = Objects.requireNonNull(table, "table");
        this.metrics = new WatcherMetrics(Objects.requireNonNull(registry, "registry"));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.node = NodeInfo.unknown(this.nodeName);
        this.services = new ServiceChangeTracker(metrics);
        this.endpoints = new EndpointsChangeTracker(metrics, clock.instant());
        this.tableSync = new ServiceTableSync(services, endpoints, gates, table, metrics, clock);
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
        if (!services.update(previous, current)) {
            return false;
        }
        return notifyQueued(queued());
    }

    /**
     * An EndpointSlice was added or updated, or removed ({@code removed == true}). A slice that becomes
     * unusable (relabelled, FQDN) counts as removed.
     *
     * @return true when a sync is needed: changes are pending and both initial lists were seen
     */
    public boolean onEndpointSliceUpdate(EndpointSlice slice, boolean removed) {
        if (!endpoints.update(slice, removed)) {
            // Ignored, so nothing new is queued; a sync may still be needed for what was.
            return slice != null && queued();
        }
        return notifyQueued(queued());
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
            node = new NodeInfo(nodeName, next.labels(), next.eligible(), next.addresses(), next.podCidrs());
            if (!old.zone().equals(next.zone()) || !old.addresses().equals(next.addresses())) {
                log.atInfo()
                        .addKeyValue("zone", next.zone())
                        .addKeyValue("previousZone", old.zone())
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
        return fullSyncNeeded
                || nodeEligibilityChanged
                || services.hasPending()
                || endpoints.hasPending()
                || !retry.isEmpty();
    }

    private boolean queued() {
        synchronized (lock) {
            return queuedLocked();
        }
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

    /** What a sync starts from, taken under the lock; the trackers' changes are taken by the sync itself. */
    private record SyncRequest(boolean full, NodeInfo node, Set<NamespacedName> retry) {}

    /**
     * Takes pending changes and applies them to the table: only service ports whose inputs changed are
     * rebuilt, and unchanged ones keep their entry instance. Before {@link #initialized()} it does nothing.
     * Call from one thread (the SyncRunner's).
     *
     * @throws SyncException when some services could not be built; they are retried at the next sync and
     *                       the others were applied
     */
    public SyncResult sync() {
        synchronized (syncLock) {
            SyncRequest request = takeRequest();
            if (request == null) {
                return new SyncResult(false, 0, Set.of(), Set.of(), table.generation(), Duration.ZERO);
            }
            ServiceTableSync.Outcome outcome = tableSync.sync(request.full(), request.node(), request.retry());
            if (!outcome.failed().isEmpty()) {
                synchronized (lock) {
                    retry.addAll(outcome.failed());
                }
                throw new SyncException(outcome.failed(), outcome.firstFailure());
            }
            observer.synced();
            return outcome.result();
        }
    }

    private SyncRequest takeRequest() {
        synchronized (lock) {
            if (!(servicesSynced && endpointSlicesSynced)) {
                return null;
            }
            SyncRequest request = new SyncRequest(fullSyncNeeded, node, Set.copyOf(retry));
            retry.clear();
            fullSyncNeeded = false;
            nodeEligibilityChanged = false;
            return request;
        }
    }

    /** The built entry of a service port, for tests and status pages; null when none. */
    public ServicePortEntry entry(ServicePortName name) {
        return table.get(name);
    }
}
