package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vipd.netpol.NamespaceInfo;
import io.vipd.netpol.NodeEgressFilter;
import io.vipd.netpol.PodInfo;
import io.vipd.netpol.Policy;
import io.vipd.netpol.PolicyConversions;
import io.vipd.netpol.PolicySnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds {@code vipd node}'s egress filter from the Kubernetes API: fabric8 informers on networking.k8s.io/v1
 * NetworkPolicies, v1 Pods and v1 Namespaces, all namespaces. Handlers convert each object into its small
 * record ({@link PolicyConversions}) and ask for a rebuild; a {@link SyncRunner} of its own (the same 10 ms
 * minimum interval as the table's sync, so a policy change reaches new connections as fast as an endpoint
 * change) builds a {@link PolicySnapshot} and this node's {@link NodeEgressFilter} and hands it to the consumer.
 * Nothing is handed over before all three initial lists arrived: until then no client is restricted.
 *
 * <p><b>Why every pod.</b> The local pods are the clients, but a destination is any backend in the cluster and
 * selectors match its labels, so the labels, addresses and named ports of all pods are needed; a
 * {@code spec.nodeName} field selector would give only the clients. The informer cache keeps only that
 * projection of each pod ({@link LeanPodStore}), a few hundred bytes instead of the several kilobytes of a full
 * Pod: about 3 MB per 10,000 pods on every node, plus the watch traffic of every pod status change in the
 * cluster (Cilium and Calico agents watch all pods for the same reason).
 */
public final class PolicySource implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PolicySource.class);

    private final KubernetesClient client;
    private final String nodeName;
    private final MeterRegistry registry;
    private final Consumer<NodeEgressFilter> consumer;
    private final SyncRunner runner;
    private final Map<String, Policy> policies = new ConcurrentHashMap<>();
    private final Map<String, PodInfo> pods = new ConcurrentHashMap<>();
    private final Map<String, NamespaceInfo> namespaces = new ConcurrentHashMap<>();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final List<Meter> meters = new ArrayList<>();
    private final Counter problems;
    /** The resources whose initial list arrived; the filter is built once all three did. */
    private final Set<String> listed = ConcurrentHashMap.newKeySet();

    private volatile boolean closed;
    private volatile NodeEgressFilter current;

    /**
     * @param nodeName this node: its pods are the clients the filter restricts
     * @param consumer receives each new filter, on the rebuild thread
     */
    public PolicySource(
            KubernetesClient client,
            String nodeName,
            MeterRegistry registry,
            Duration minInterval,
            Consumer<NodeEgressFilter> consumer) {
        this.client = Objects.requireNonNull(client, "client");
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.runner = new SyncRunner(
                "vipd-netpol",
                this::rebuild,
                minInterval,
                WatcherRuntime.RETRY_INTERVAL,
                WatcherRuntime.MAX_SYNC_INTERVAL);
        this.problems = Counter.builder("vipd.netpol.problems")
                .description("NetworkPolicies, Pods or fields vipd could not read (logged; rules left out fail closed)")
                .register(registry);
        meters.add(problems);
    }

    /** Starts the informers and the rebuild thread; returns at once. */
    public synchronized void start() {
        if (!informers.isEmpty() || closed) {
            throw new IllegalStateException("PolicySource can be started once");
        }
        runner.start();
        start(
                "networkpolicies",
                client.network().v1().networkPolicies().inAnyNamespace(),
                policies,
                np -> PolicyConversions.policy(np, this::problem),
                null);
        start(
                "pods",
                client.pods().inAnyNamespace(),
                pods,
                p -> PolicyConversions.pod(p, this::problem),
                new LeanPodStore());
        start("namespaces", client.namespaces(), namespaces, PolicyConversions::namespace, null);
    }

    /** The last filter handed to the consumer, or null before the initial lists. */
    public NodeEgressFilter current() {
        return current;
    }

    @Override
    public synchronized void close() {
        closed = true;
        informers.forEach(SharedIndexInformer::close);
        runner.close();
        meters.forEach(registry::remove);
        meters.clear();
    }

    private void problem(String message) {
        problems.increment();
        log.atWarn().addKeyValue("problem", message).log("NetworkPolicy input left out");
    }

    private Object rebuild() {
        if (listed.size() < 3 || closed) {
            return null;
        }
        PolicySnapshot snapshot = PolicySnapshot.of(
                List.copyOf(policies.values()), List.copyOf(pods.values()), List.copyOf(namespaces.values()));
        NodeEgressFilter filter = NodeEgressFilter.build(nodeName, snapshot);
        current = filter;
        consumer.accept(filter);
        return null;
    }

    private <T extends HasMetadata, V> void start(
            String resource,
            Informable<T> source,
            Map<String, V> into,
            Function<T, V> convert,
            KubernetesSource.LeanItemStore<T> store) {
        SharedIndexInformer<T> informer = source.runnableInformer(0);
        informer.removeNamespaceIndex();
        informer.itemStore(store != null ? store : new KubernetesSource.LeanItemStore<>());
        Counter errors = Counter.builder("vipd.watcher.informer.errors")
                .tag("resource", resource)
                .description("Failed lists and terminal watch errors of an informer (retried unless unreadable)")
                .register(registry);
        meters.add(errors);
        meters.add(Gauge.builder("vipd.watcher.informer.watching", informer, i -> i.isWatching() ? 1 : 0)
                .tag("resource", resource)
                .description("1 while the informer has an open watch")
                .register(registry));
        informer.exceptionHandler((started, t) -> {
            errors.increment();
            log.atWarn()
                    .addKeyValue("resource", resource)
                    .addKeyValue("error", String.valueOf(t))
                    .log("Kubernetes list/watch failed; retrying");
            return !ExceptionHandler.isDeserializationException(t);
        });
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                put(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                put(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                into.remove(Cache.metaNamespaceKeyFunc(obj));
                runner.run();
            }

            @Override
            public void onList(String resourceVersion, boolean remainedEmpty) {
                // A re-list may have dropped objects whose deletes we never saw: keep only what it holds.
                into.keySet().retainAll(informer.getStore().listKeys());
                listed.add(resource);
                runner.run();
            }

            /** Most pod updates (conditions, container statuses) leave the projection as it was: no rebuild. */
            private void put(T obj) {
                V v = convert.apply(obj);
                String key = Cache.metaNamespaceKeyFunc(obj);
                V previous = v == null ? into.remove(key) : into.put(key, v);
                if (!Objects.equals(previous, v)) {
                    runner.run();
                }
            }
        });
        informers.add(informer);
        informer.start();
    }

    /**
     * The pod cache without what policies never read: only name, namespace, labels, resourceVersion and uid,
     * node name, host network, named container ports, phase and addresses are kept.
     */
    static final class LeanPodStore extends KubernetesSource.LeanItemStore<Pod> {
        @Override
        public Pod put(String key, Pod pod) {
            return super.put(key, PodProjection.of(pod));
        }
    }
}
