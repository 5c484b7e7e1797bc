package io.vipd.node;

import io.vipd.nodeport.interception.CommandRunner;
import io.vipd.nodeport.interception.Interception;
import io.vipd.nodeport.interception.InterceptionConfig;
import io.vipd.nodeport.interception.SourceIpSupport;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import io.vipd.nodeport.HealthCheckServer;
import io.vipd.nodeport.LocalEndpointCounts;
import io.vipd.nodeport.NodeAddresses;
import io.vipd.proxy.ListenerException;
import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.ProxyServer;
import io.vipd.proxy.SourceIpPolicy;
import io.vipd.admin.AdminBindException;
import io.vipd.admin.AdminHandler;
import io.vipd.admin.AdminServer;
import io.vipd.admin.HealthEndpoints;
import io.vipd.admin.HealthState;
import io.vipd.admin.VipdMetrics;
import io.vipd.watcher.FeatureGates;
import io.vipd.watcher.SyncObserver;
import io.vipd.watcher.WatcherRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vipd node} assembled: the Kubernetes watcher feeding the service table, the transparent forwarding
 * engine, nftables interception, the healthCheckNodePort servers and the admin servers (/healthz, /livez,
 * /metrics). Started once, shut down once.
 */
public final class NodeRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);

    private final NodeSettings settings;
    private final ServiceTable table = new ServiceTable();
    private final PrometheusMeterRegistry registry = VipdMetrics.newRegistry();
    private final HealthState health;
    private final AdminServer admin = new AdminServer();
    private final ProxyServer proxy;
    private final Interception interception;
    private final HealthCheckServer healthChecks;
    private final List<InetAddress> nodePortIps;
    private final AtomicBoolean initialSyncDone = new AtomicBoolean();
    private final boolean sourceIpPreserved;
    private volatile long healthCheckGeneration = -1;
    private final ScheduledExecutorService verifier = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vipd-nft-verify");
        t.setDaemon(true);
        return t;
    });
    private WatcherRuntime watcher;

    private NodeRuntime(NodeSettings settings, InterceptionConfig interceptionConfig, List<InetAddress> nodePortIps,
                        ProxyConfig forwarding) {
        this.settings = settings;
        this.nodePortIps = nodePortIps;
        // kube-proxy: healthTimeout is twice the sync period.
        this.health = new HealthState(Clock.systemUTC(), settings.syncPeriod().multipliedBy(2));
        this.proxy = new ProxyServer(table, forwarding.withTransparent(true), registry);
        this.interception = new Interception(CommandRunner.processes(), interceptionConfig, registry);
        this.sourceIpPreserved = interceptionConfig.transparentEgress();
        Gauge.builder("vipd.source.ip.preserved", () -> sourceIpPreserved ? 1 : 0)
                .description("1 when backends see clients' addresses where safe (--source-ip=client), 0 when they "
                        + "always see the node's").register(registry);
        this.healthChecks = new HealthCheckServer(nodePortIps, () -> health.snapshot().healthy(),
                (svc, address, cause) -> { });
    }

    /**
     * Starts everything; traffic is intercepted as soon as the sources' initial sync is done.
     *
     * @throws IllegalArgumentException for bad settings (kubeconfig, feature gates)
     * @throws IOException              when nftables or policy routing cannot be set up
     */
    public static NodeRuntime start(NodeSettings settings, int tproxyPort)
            throws IOException, ListenerException, AdminBindException {
        return start(settings, tproxyPort, true, ProxyConfig.defaults());
    }

    /**
     * As {@link #start(NodeSettings, int)}; {@code clientSourceIp} ({@code --source-ip=client}) lets backends
     * see clients' addresses where that is safe ({@link NodeSourceIpPolicy}), if this node supports it; when it
     * does not, vipd warns and uses the node's address. {@code forwarding} holds the forwarding flags
     * ({@link io.vipd.proxy.ForwardingOptions}); vipd makes it transparent.
     */
    public static NodeRuntime start(NodeSettings settings, int tproxyPort, boolean clientSourceIp,
                                   ProxyConfig forwarding)
            throws IOException, ListenerException, AdminBindException {
        List<InetAddress> nodePortIps = NodeAddresses.discoverSelected(settings.nodePortAddresses());
        if (nodePortIps.isEmpty()) {
            log.atWarn().addKeyValue("nodePortAddresses", settings.nodePortAddresses().toString())
                    .log("No node address matches --nodeport-addresses: NodePorts are unreachable and "
                            + "healthCheckNodePorts listen on every address");
        }
        boolean preserve = clientSourceIp;
        if (clientSourceIp) {
            String reason = SourceIpSupport.unsupportedReason(CommandRunner.processes());
            if (reason != null) {
                preserve = false;
                log.atWarn().addKeyValue("reason", reason)
                        .log("--source-ip=client is not supported on this node; backends see the node's address");
            }
        }
        InterceptionConfig ic = new InterceptionConfig(tproxyPort, tproxyPort, InterceptionConfig.DEFAULT_MARK,
                InterceptionConfig.DEFAULT_ROUTE_TABLE, settings.clusterCidrs(), nodePortIps, preserve);
        NodeRuntime r = new NodeRuntime(settings, ic, nodePortIps, forwarding);
        try {
            r.startAll(tproxyPort);
        } catch (IOException | ListenerException | AdminBindException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void startAll(int tproxyPort) throws IOException, ListenerException, AdminBindException {
        FeatureGates gates = FeatureGates.parse(settings.featureGates(), name -> log.atWarn()
                .addKeyValue("gate", name).log("feature gate does not change what vipd programs; ignored"));
        // Built (and the kubeconfig checked) before anything touches the node's network configuration.
        watcher = WatcherRuntime.create(settings.kubeconfig(), settings.master(), settings.nodeName(), gates, table,
                registry, observer());
        Set<InetAddress> nodeIps = new HashSet<>(nodePortIps);
        Set<InetAddress> localIps = new HashSet<>();
        NodeAddresses.discover().forEach(a -> localIps.add(a.address()));
        List<Cidr> podCidrs = settings.clusterCidrs();
        proxy.setNodeAddresses(nodeIps::contains);
        // kube-proxy short-circuits pod- and host-originated external traffic (eTP Local) to all endpoints.
        proxy.setLocalOrigin(client -> localIps.contains(client) || podCidrs.stream().anyMatch(c -> c.contains(client)));
        proxy.setSourceIpPolicy(sourceIpPreserved ? new NodeSourceIpPolicy(localIps::contains, podCidrs)
                : SourceIpPolicy.NODE);
        proxy.start();
        proxy.openTransparent(new InetSocketAddress(tproxyPort), new InetSocketAddress(tproxyPort));
        interception.start();
        table.addListener(interception);
        table.addListener(healthCheckListener());
        bindAdmin();
        health.failWhile(() -> watcher.source().failure() != null);
        watcher.start();
        long period = settings.syncPeriod().toMillis();
        verifier.scheduleWithFixedDelay(this::verifyInterception, period, period, TimeUnit.MILLISECONDS);
        log.atInfo().addKeyValue("node", settings.nodeName())
                .addKeyValue("nodePortAddresses", nodePortIps.stream().map(Addresses::ipString).toList())
                .addKeyValue("clusterCIDR", podCidrs.toString()).addKeyValue("tproxyPort", tproxyPort)
                .addKeyValue("sourceIp", sourceIpPreserved ? "client" : "node")
                .log("vipd node started");
    }

    private SyncObserver observer() {
        return new SyncObserver() {
            @Override
            public void queued() {
                health.queuedUpdate();
            }

            @Override
            public void synced() {
                if (initialSyncDone.compareAndSet(false, true)) {
                    try {
                        interception.syncAll(table);
                    } catch (IOException e) {
                        initialSyncDone.set(false);
                        log.atError().addKeyValue("error", e.getMessage()).log("Cannot program nftables");
                        return;
                    }
                }
                syncHealthChecks();
                if (watcher != null) {
                    health.setNodeEligible(watcher.node().eligible());
                }
                health.updated();
            }
        };
    }

    /** Every syncPeriod: put back the nftables table and policy routing if something removed them. */
    private void verifyInterception() {
        try {
            interception.verify(table);
        } catch (IOException | RuntimeException e) {
            log.atWarn().addKeyValue("error", e.getMessage()).log("Cannot verify nftables interception");
        }
    }

    private TableListener healthCheckListener() {
        return (ServiceTable t, Set<ServicePortName> changed) -> {
            if (initialSyncDone.get()) {
                syncHealthChecks();
            }
        };
    }

    private synchronized void syncHealthChecks() {
        long gen = table.generation();
        if (gen == healthCheckGeneration) {
            return;
        }
        healthCheckGeneration = gen;
        LocalEndpointCounts.sync(healthChecks, table);
    }

    private void bindAdmin() throws AdminBindException {
        HealthEndpoints endpoints = new HealthEndpoints(health, registry);
        if (settings.healthzBindAddress() != null) {
            admin.bind(settings.healthzBindAddress(), endpoints.routes());
        }
        if (settings.metricsBindAddress() != null) {
            Map<String, AdminHandler> routes = new HashMap<>(endpoints.routes());
            routes.put("/metrics", VipdMetrics.scrape(registry));
            admin.bind(settings.metricsBindAddress(), routes);
        }
    }

    public ServiceTable table() {
        return table;
    }

    /**
     * Stops watching and serving; established connections get up to {@code grace}. The nftables table and
     * routes stay, so a restarted vipd takes over without a gap; {@code vipd cleanup} removes them. Call
     * {@link #close} after the returned future completes (not from its callbacks: they run on an event loop
     * that close stops).
     */
    public CompletableFuture<Void> shutdown(Duration grace) {
        verifier.shutdownNow();
        if (watcher != null) {
            watcher.close();
        }
        healthChecks.close();
        admin.close();
        return proxy.shutdown(grace);
    }

    @Override
    public void close() {
        verifier.shutdownNow();
        if (watcher != null) {
            watcher.close();
        }
        healthChecks.close();
        admin.close();
        proxy.close();
        interception.close();
    }
}
