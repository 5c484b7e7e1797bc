package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link ChangeTracker} from the Kubernetes API, as kube-proxy's {@code pkg/proxy/config} does: fabric8
 * informers on v1 Services and discovery.k8s.io/v1 EndpointSlices (both with kube-proxy's selector
 * {@code !service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless}) and on this node's Node.
 *
 * <p>Handlers only stage the change in the tracker and, when it says a sync is needed and both initial lists have
 * been seen, ask for one through {@code requestSync} (a coalescing signal such as {@link SyncRunner#run()}). Nothing
 * is programmed before both the Services and the EndpointSlices informers delivered their first list
 * ({@code onList}); every list, the first and each re-list after a 410 or an error, ends with a forced full sync,
 * because a re-list may have dropped objects whose deletes we never saw.
 *
 * <p>The informers never resync (their periodic resync replays every cached object under a lock, and the cache
 * cannot drift from the watch it is fed by; every re-list forces a full sync), drop the namespace index nobody
 * reads, and retry every failure except a deserialization bug, so start-up survives an API server that is down
 * and an outage leaves the table serving the last known state until the informers recover by themselves.
 */
public final class KubernetesSource implements AutoCloseable {
    public static final String SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
    public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";

    private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);

    private final KubernetesClient client;
    private final ChangeTracker tracker;
    private final Runnable requestSync;
    private final String nodeName;
    private final MeterRegistry registry;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final List<Meter> meters = new ArrayList<>();
    private volatile boolean closed;
    private volatile Throwable failure;

    /**
     * @param client      the API client; its configuration decides where the API server is
     * @param tracker     the tracker the handlers stage changes in
     * @param requestSync asks for a sync; must be cheap and non-blocking, it runs on the informer threads
     * @param nodeName    this node's name, whose Node object supplies the zone and eligibility; null to not watch it
     * @param registry    where the informer health metrics go
     */
    public KubernetesSource(
            KubernetesClient client,
            ChangeTracker tracker,
            Runnable requestSync,
            String nodeName,
            MeterRegistry registry) {
        this.client = Objects.requireNonNull(client, "client");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.requestSync = Objects.requireNonNull(requestSync, "requestSync");
        this.nodeName = nodeName;
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Starts the informers without waiting for them: the first lists arrive asynchronously and are retried. */
    public synchronized void start() {
        if (!informers.isEmpty() || closed) {
            throw new IllegalStateException("KubernetesSource can be started once");
        }
        start(
                "services",
                client.services()
                        .inAnyNamespace()
                        .withoutLabel(SERVICE_PROXY_NAME_LABEL)
                        .withoutLabel(HEADLESS_LABEL),
                new ServiceHandler());
        start(
                "endpointslices",
                client.discovery()
                        .v1()
                        .endpointSlices()
                        .inAnyNamespace()
                        .withoutLabel(SERVICE_PROXY_NAME_LABEL)
                        .withoutLabel(HEADLESS_LABEL),
                new EndpointSliceHandler());
        if (nodeName != null) {
            start("node", client.nodes().withName(nodeName), new NodeHandler());
        }
        log.atInfo()
                .addKeyValue("master", client.getConfiguration().getMasterUrl())
                .addKeyValue("node", nodeName)
                .log("Kubernetes informers started");
    }

    /** True while every informer has an open watch. */
    public boolean watching() {
        synchronized (this) {
            return !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::isWatching);
        }
    }

    /** The error that stopped an informer for good (a deserialization bug), or null while all are running. */
    public Throwable failure() {
        return failure;
    }

    @Override
    public synchronized void close() {
        closed = true;
        informers.forEach(SharedIndexInformer::close);
        meters.forEach(registry::remove);
        meters.clear();
    }

    private <T extends HasMetadata> void start(String resource, Informable<T> source, ResourceEventHandler<T> handler) {
        SharedIndexInformer<T> informer = source.runnableInformer(0);
        informer.removeNamespaceIndex();
        informer.itemStore(new LeanItemStore<>());
        Counter errors = Counter.builder("vipd.watcher.informer.errors")
                .tag("resource", resource)
                .description("Failed lists and terminal watch errors of an informer (retried unless unreadable)")
                .register(registry);
        Counter relists = Counter.builder("vipd.watcher.informer.lists")
                .tag("resource", resource)
                .description("Full lists of an informer: the initial one and each re-list after 410 or an error")
                .register(registry);
        meters.add(errors);
        meters.add(relists);
        meters.add(Gauge.builder("vipd.watcher.informer.watching", informer, i -> i.isWatching() ? 1 : 0)
                .tag("resource", resource)
                .description("1 while the informer has an open watch")
                .register(registry));
        informer.exceptionHandler((started, t) -> retry(resource, errors, started, t));
        informer.addEventHandler(new ListCounter<>(relists));
        informer.addEventHandler(handler);
        informer.stopped().whenComplete((ignored, t) -> {
            if (t != null && !closed) {
                failure = t;
                log.atError()
                        .addKeyValue("resource", resource)
                        .setCause(t)
                        .log("Kubernetes informer stopped for good; the table keeps its last state");
            }
        });
        informers.add(informer);
        informer.start();
    }

    /** Retries everything but a deserialization bug, which would only fail again on the same object. */
    private static boolean retry(String resource, Counter errors, boolean started, Throwable t) {
        errors.increment();
        if (ExceptionHandler.isDeserializationException(t)) {
            log.atError()
                    .addKeyValue("resource", resource)
                    .setCause(t)
                    .log("Kubernetes object cannot be read; informer stops");
            return false;
        }
        log.atWarn()
                .addKeyValue("resource", resource)
                .addKeyValue("started", started)
                .addKeyValue("error", String.valueOf(t))
                .log("Kubernetes list/watch failed; retrying");
        return true;
    }

    /** The tracker says true only once both initial lists were seen and a change is pending. */
    private void changed(boolean syncNeeded) {
        if (syncNeeded) {
            requestSync.run();
        }
    }

    /**
     * After every full list: the first one may complete initialization, and a re-list (after 410 or an error) may
     * have replaced deletes we never saw, so the next sync re-examines everything.
     */
    private void relisted() {
        changed(tracker.requestFullSync());
    }

    /**
     * The informer cache without {@code metadata.managedFields}, which nothing here reads and which is about a
     * quarter of a cached object (docs/fabric8.md §1.4). It strips rather than filters: a filtering store
     * leaks index entries (fabric8 #8103).
     */
    static class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {
        LeanItemStore() {
            super(Cache::metaNamespaceKeyFunc);
        }

        @Override
        public T put(String key, T object) {
            if (object.getMetadata() != null) {
                object.getMetadata().setManagedFields(null);
            }
            return super.put(key, object);
        }
    }

    /** The objects an informer has cached, for tests. */
    @SuppressWarnings("unchecked")
    synchronized <T> List<T> cached(Class<T> type) {
        for (SharedIndexInformer<?> informer : informers) {
            if (informer.getApiTypeClass() == type) {
                return List.copyOf((List<T>) informer.getStore().list());
            }
        }
        return List.of();
    }

    private static final class ListCounter<T> implements ResourceEventHandler<T> {
        private final Counter lists;

        ListCounter(Counter lists) {
            this.lists = lists;
        }

        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            lists.increment();
        }

        @Override
        public void onAdd(T obj) {}

        @Override
        public void onUpdate(T oldObj, T newObj) {}

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    }

    private final class ServiceHandler implements ResourceEventHandler<Service> {
        @Override
        public void onAdd(Service service) {
            changed(tracker.onServiceUpdate(null, service));
        }

        @Override
        public void onUpdate(Service previous, Service current) {
            changed(tracker.onServiceUpdate(previous, current));
        }

        @Override
        public void onDelete(Service service, boolean deletedFinalStateUnknown) {
            changed(tracker.onServiceUpdate(service, null));
        }

        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            tracker.servicesSynced();
            relisted();
        }
    }

    private final class EndpointSliceHandler implements ResourceEventHandler<EndpointSlice> {
        @Override
        public void onAdd(EndpointSlice slice) {
            changed(tracker.onEndpointSliceUpdate(slice, false));
        }

        @Override
        public void onUpdate(EndpointSlice previous, EndpointSlice current) {
            changed(tracker.onEndpointSliceUpdate(current, false));
        }

        @Override
        public void onDelete(EndpointSlice slice, boolean deletedFinalStateUnknown) {
            changed(tracker.onEndpointSliceUpdate(slice, true));
        }

        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            tracker.endpointSlicesSynced();
            relisted();
        }
    }

    private final class NodeHandler implements ResourceEventHandler<Node> {
        @Override
        public void onAdd(Node node) {
            changed(tracker.onNodeUpdate(node));
        }

        @Override
        public void onUpdate(Node previous, Node current) {
            changed(tracker.onNodeUpdate(current));
        }

        @Override
        public void onDelete(Node node, boolean deletedFinalStateUnknown) {
            changed(tracker.onNodeUpdate(null));
        }
    }
}
