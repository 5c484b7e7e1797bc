package io.vipd.watcher;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import io.vipd.netpol.NodeEgressFilter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes side of {@code vipd node} in one piece: API client, {@link ChangeTracker}, {@link SyncRunner} and
 * {@link KubernetesSource}, started and closed together.
 *
 * <p><b>Where the API server is.</b> With {@code --kubeconfig} (or {@code --master}) the address is explicit. Without
 * them fabric8's auto-configuration is used: a kubeconfig named by {@code KUBECONFIG}/{@code ~/.kube/config} if one
 * exists, else the in-cluster service account with {@code https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}.
 * In a pod that host is the ClusterIP of the {@code kubernetes} Service, which vipd itself programs: vipd would reach
 * its own API server through its own data plane, and a table that lost that service could never be repaired. The
 * DaemonSet should therefore set {@code --master}/{@code --kubeconfig}, or override {@code KUBERNETES_SERVICE_HOST}
 * and {@code KUBERNETES_SERVICE_PORT} with the real API server address, as kubeadm's kube-proxy does with its
 * kubeconfig. A warning is logged whenever the API address is a frontend in the table.
 */
public final class WatcherRuntime implements AutoCloseable {
    /** The runner's defaults: react within ms, retry a failed sync after 1 s, reconcile everything hourly. */
    public static final Duration MIN_SYNC_INTERVAL = Duration.ofMillis(10);

    public static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);
    public static final Duration MAX_SYNC_INTERVAL = Duration.ofHours(1);

    private static final Logger log = LoggerFactory.getLogger(WatcherRuntime.class);
    private static final int BASE_RECONNECT_MILLIS = 1000;

    private final KubernetesClient client;
    private final ChangeTracker tracker;
    private final SyncRunner runner;
    private final KubernetesSource source;
    private final ServiceTable table;
    private final ApiAddressCheck apiAddressCheck;
    private final String nodeName;
    private final MeterRegistry registry;
    private PolicySource policySource;

    /**
     * Builds everything around a client it takes ownership of (closed by {@link #close()}).
     *
     * @param nodeName this node's name (kube-proxy's hostname); its Node object is watched
     * @param observer told about queued changes and finished syncs (healthz)
     */
    public WatcherRuntime(
            KubernetesClient client,
            String nodeName,
            FeatureGates gates,
            ServiceTable table,
            MeterRegistry registry,
            SyncObserver observer,
            Duration minSyncInterval,
            Duration retryInterval,
            Duration maxSyncInterval) {
        this.client = Objects.requireNonNull(client, "client");
        this.table = Objects.requireNonNull(table, "table");
        Objects.requireNonNull(observer, "observer");
        this.nodeName = nodeName;
        this.registry = registry;
        tracker = new ChangeTracker(nodeName, gates, table, registry);
        tracker.setObserver(observer);
        runner = new SyncRunner("vipd-sync", tracker::sync, minSyncInterval, retryInterval, maxSyncInterval);
        source = new KubernetesSource(client, tracker, runner::run, nodeName, registry);
        InetSocketAddress api = apiAddress(client.getConfiguration().getMasterUrl());
        apiAddressCheck = api == null ? null : new ApiAddressCheck(api);
    }

    /**
     * Builds the client from a kubeconfig file, or from auto-configuration when {@code kubeconfig} is null.
     *
     * @param masterUrl overrides the API server address of either; null to keep it
     * @throws IllegalArgumentException when the kubeconfig cannot be read, naming the file
     */
    public static WatcherRuntime create(
            Path kubeconfig,
            String masterUrl,
            String nodeName,
            FeatureGates gates,
            ServiceTable table,
            MeterRegistry registry,
            SyncObserver observer) {
        return create(kubeconfig, masterUrl, nodeName, ApiClientSettings.DEFAULTS, gates, table, registry, observer);
    }

    /**
     * As {@link #create(Path, String, String, FeatureGates, ServiceTable, MeterRegistry, SyncObserver)}, with
     * kube-proxy's client settings: requests are rate-limited to {@code settings.qps()}, and the whole table is
     * reconciled every {@code settings.resyncPeriod()}.
     */
    public static WatcherRuntime create(
            Path kubeconfig,
            String masterUrl,
            String nodeName,
            ApiClientSettings settings,
            FeatureGates gates,
            ServiceTable table,
            MeterRegistry registry,
            SyncObserver observer) {
        KubernetesClient client =
                client(kubeconfig, masterUrl, nodeName, settings, RestClientMetrics.installer(registry));
        return new WatcherRuntime(
                client,
                nodeName,
                gates,
                table,
                registry,
                observer,
                MIN_SYNC_INTERVAL,
                RETRY_INTERVAL,
                settings.resyncPeriod());
    }

    /** A client for the given kubeconfig (or auto-configuration), rate-limited as {@code settings} say. */
    public static KubernetesClient client(
            Path kubeconfig, String masterUrl, String nodeName, ApiClientSettings settings) {
        return client(kubeconfig, masterUrl, nodeName, settings, b -> {});
    }

    /** As {@link #client(Path, String, String, ApiClientSettings)}, with more HTTP client setup (interceptors). */
    public static KubernetesClient client(
            Path kubeconfig,
            String masterUrl,
            String nodeName,
            ApiClientSettings settings,
            Consumer<HttpClient.Builder> more) {
        KubernetesClientBuilder builder =
                new KubernetesClientBuilder().withConfig(clientConfig(kubeconfig, masterUrl, nodeName));
        // One consumer: the builder keeps only the last one given.
        RequestRateLimit limit =
                settings.qps() > 0 ? new RequestRateLimit(settings.qps(), settings.burst(), System::nanoTime) : null;
        builder.withHttpClientBuilderConsumer(b -> {
            if (limit != null) {
                b.addOrReplaceInterceptor(RequestRateLimit.NAME, limit);
            }
            more.accept(b);
        });
        return builder.build();
    }

    /** The client configuration: the given kubeconfig or auto-configuration, with a per-node reconnect jitter. */
    static Config clientConfig(Path kubeconfig, String masterUrl, String nodeName) {
        Config config;
        if (kubeconfig != null) {
            if (!Files.isReadable(kubeconfig)) {
                throw new IllegalArgumentException("kubeconfig " + kubeconfig + ": not a readable file");
            }
            try {
                config = Config.fromKubeconfig(kubeconfig.toFile());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
            }
        } else {
            // Mutated rather than copied into a ConfigBuilder, so the service-account token keeps being refreshed.
            config = Config.autoConfigure(null);
            if (masterUrl == null && System.getenv("KUBERNETES_SERVICE_HOST") != null) {
                log.atInfo()
                        .addKeyValue("master", config.getMasterUrl())
                        .log("Using the in-cluster API address from KUBERNETES_SERVICE_HOST; if it is the kubernetes "
                                + "Service ClusterIP, vipd depends on itself: prefer --master/--kubeconfig or override "
                                + "KUBERNETES_SERVICE_HOST with the real API server address");
            }
        }
        if (masterUrl != null) {
            config.setMasterUrl(masterUrl);
        }
        if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()) {
            throw new IllegalArgumentException(
                    "no Kubernetes API server address: give --kubeconfig or --master, " + "or run in a pod");
        }
        config.setWatchReconnectInterval(reconnectIntervalMillis(nodeName));
        return config;
    }

    /**
     * The first watch reconnect delay, spread over [1 s, 2 s) by node name: fabric8's exponential backoff has no
     * jitter, and thousands of nodes reconnecting in lockstep after an API server restart would hit it together.
     */
    static int reconnectIntervalMillis(String nodeName) {
        int h = Objects.requireNonNullElse(nodeName, "").hashCode() * 0x9E3779B9;
        return BASE_RECONNECT_MILLIS + Math.floorMod(h ^ (h >>> 16), BASE_RECONNECT_MILLIS);
    }

    /**
     * Also watches NetworkPolicies, Pods and Namespaces ({@link PolicySource}) and hands {@code consumer} this
     * node's egress filter whenever they change. Call before {@link #start()}.
     */
    public synchronized void enforceNetworkPolicies(Consumer<NodeEgressFilter> consumer) {
        if (policySource != null) {
            throw new IllegalStateException("network policies are already watched");
        }
        policySource = new PolicySource(client, nodeName, registry, MIN_SYNC_INTERVAL, consumer);
    }

    /** The NetworkPolicy source, or null when {@link #enforceNetworkPolicies} was not called. */
    public synchronized PolicySource policySource() {
        return policySource;
    }

    /** Starts syncing and watching; returns at once, the first lists arrive (and are retried) in the background. */
    public synchronized void start() {
        if (apiAddressCheck != null) {
            table.addListener(apiAddressCheck);
        }
        runner.start();
        source.start();
        if (policySource != null) {
            policySource.start();
        }
    }

    public ChangeTracker tracker() {
        return tracker;
    }

    public KubernetesSource source() {
        return source;
    }

    /** True while the API server address is a frontend in the table: vipd would reach its API through itself. */
    public boolean apiServerBehindOwnFrontend() {
        return apiAddressCheck != null && apiAddressCheck.programmed;
    }

    /** Node name, zone and eligibility (/healthz answers 503 while the node is not eligible). */
    public NodeInfo node() {
        return tracker.node();
    }

    @Override
    public void close() {
        if (apiAddressCheck != null) {
            table.removeListener(apiAddressCheck);
        }
        source.close();
        runner.close();
        PolicySource policies = policySource();
        if (policies != null) {
            policies.close();
        }
        client.close();
    }

    /** The API server's address as a socket address, or null when it cannot be resolved now. */
    static InetSocketAddress apiAddress(String masterUrl) {
        try {
            URI uri = URI.create(masterUrl);
            int port = uri.getPort() > 0 ? uri.getPort() : "http".equals(uri.getScheme()) ? 80 : 443;
            String host = uri.getHost();
            if (host == null) {
                return null;
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IllegalArgumentException | UnknownHostException e) {
            log.atWarn()
                    .addKeyValue("master", masterUrl)
                    .addKeyValue("error", e.toString())
                    .log("Cannot resolve the API server address; skipping the self-dependency check");
            return null;
        }
    }

    /** Warns once when the API server address becomes a frontend that vipd forwards. */
    private static final class ApiAddressCheck implements TableListener {
        private final InetSocketAddress api;
        private volatile boolean programmed;

        ApiAddressCheck(InetSocketAddress api) {
            this.api = api;
        }

        @Override
        public void onTableChanged(ServiceTable table, Set<ServicePortName> changed) {
            FrontendEntry e = table.lookup(Protocol.TCP, api);
            boolean was = programmed;
            programmed = e != null;
            if (e != null && !was) {
                log.atWarn()
                        .addKeyValue("api", api)
                        .addKeyValue("service", e.entry().name())
                        .addKeyValue("frontend", e.type().displayName())
                        .log("The API server address is a Service frontend that vipd itself programs: if vipd stops "
                                + "forwarding it, vipd cannot reach the API server to repair it. Set --master or "
                                + "--kubeconfig, or KUBERNETES_SERVICE_HOST/PORT, to the real API server address");
            }
        }
    }
}
