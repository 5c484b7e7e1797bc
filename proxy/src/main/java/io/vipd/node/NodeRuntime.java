package io.vipd.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.vipd.admin.AdminAction;
import io.vipd.admin.AdminBindException;
import io.vipd.admin.AdminHandler;
import io.vipd.admin.AdminResponse;
import io.vipd.admin.AdminServer;
import io.vipd.admin.BackendDrainActions;
import io.vipd.admin.HealthEndpoints;
import io.vipd.admin.HealthState;
import io.vipd.admin.Json;
import io.vipd.admin.ServicesStatus;
import io.vipd.admin.StatusMetrics;
import io.vipd.admin.StatusPage;
import io.vipd.admin.VipdMetrics;
import io.vipd.handover.HandoverException;
import io.vipd.handover.StateDirectory;
import io.vipd.handover.Succession;
import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import io.vipd.nodeport.HealthCheckServer;
import io.vipd.nodeport.LocalEndpointCounts;
import io.vipd.nodeport.interception.CommandRunner;
import io.vipd.nodeport.interception.Interception;
import io.vipd.nodeport.interception.InterceptionConfig;
import io.vipd.nodeport.interception.SourceIpSupport;
import io.vipd.proxy.ListenerException;
import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.ProxyServer;
import io.vipd.proxy.SourceIpPolicy;
import io.vipd.snapshot.SnapshotStore;
import io.vipd.snapshot.SnapshotWriter;
import io.vipd.snapshot.TableSnapshot;
import io.vipd.watcher.FeatureGates;
import io.vipd.watcher.SyncObserver;
import io.vipd.watcher.WatcherRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 *
 * <p>Longer than the guide because it is the one place that orders a node's life: what starts before the first
 * sync, when listeners open (after a restored snapshot or the first sync, taken over from a running vipd if
 * there is one), and what stops when a successor takes over.
 */
public final class NodeRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);
    private static final String MODE = "node";
    /** The /proxyMode body: vipd's own name, since none of kube-proxy's modes' rules is programmed. */
    public static final String PROXY_MODE = "vipd";
    /**
     * How long each step of a hand-over may take before it is abandoned. Opening 10,000 frontends over inherited
     * sockets takes seconds on a small machine, and a running process that gave up while its successor still
     * registered them would accept beside it; a successor that hangs only delays connections, which wait queued.
     */
    private static final Duration HANDOVER_STEP = Duration.ofSeconds(30);
    /** How often a /healthz or /metrics listener that could not bind is tried again (kube-proxy: 5 s). */
    private static final Duration ADMIN_RETRY = Duration.ofSeconds(5);
    /** At most one snapshot write per interval; a burst of changes costs one. */
    private static final Duration SNAPSHOT_INTERVAL = Duration.ofSeconds(1);
    /** How often node addresses are read again: a bounded poll, cheaper to keep right than netlink events. */
    static final Duration ADDRESS_POLL = Duration.ofSeconds(5);

    private final NodeSettings settings;
    private final ServiceTable table = new ServiceTable();
    private final PrometheusMeterRegistry registry = VipdMetrics.newRegistry();
    private final HealthState health;
    private final AdminServer admin = new AdminServer();
    private final ProxyServer proxy;
    /** Backend states and ready counts of the service ports this node forwards, refreshed on each scrape. */
    private final StatusMetrics statusMetrics;

    private final Interception interception;
    private final HealthCheckServer healthChecks;
    /** The node's addresses, followed while running ({@link #followAddresses}). */
    private volatile NodeAddressSelection addresses;

    private final NodeUdp6Listeners udp6Listeners;
    private final AtomicBoolean initialSyncDone = new AtomicBoolean();
    private final boolean sourceIpPreserved;
    /** Sources taken for this node's pods (--detect-local-mode); the interface modes follow route changes. */
    private volatile List<Cidr> localCidrs;

    private volatile long healthCheckGeneration = -1;
    private final ScheduledExecutorService verifier = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vipd-nft-verify");
        t.setDaemon(true);
        return t;
    });
    private WatcherRuntime watcher;
    /** Null: no hand-over and no snapshot (tests that run several nodes on one host pass their own). */
    private final StateDirectory stateDir;

    private final InetSocketAddress tproxyAddress;
    private Succession succession = Succession.none();
    private SnapshotWriter snapshots;
    /** Whether this process opened its listeners (after a restored snapshot or the first sync). */
    private volatile boolean serving;

    private volatile boolean handedOver;
    private final RestoredTable restored = new RestoredTable(table);

    /** Completes exceptionally when this process cannot start serving after all (the command exits). */
    private final CompletableFuture<Void> failed = new CompletableFuture<>();

    private NodeRuntime(
            NodeSettings settings,
            InterceptionConfig interceptionConfig,
            NodeAddressSelection addresses,
            ProxyConfig forwarding,
            Path stateDir,
            List<Cidr> localCidrs) {
        this.settings = settings;
        this.localCidrs = List.copyOf(localCidrs);
        this.stateDir = stateDir == null ? null : new StateDirectory(stateDir);
        this.tproxyAddress = new InetSocketAddress(interceptionConfig.tcpPort());
        this.addresses = addresses;
        // kube-proxy: healthTimeout is twice the sync period.
        this.health = new HealthState(Clock.systemUTC(), settings.syncPeriod().multipliedBy(2));
        this.proxy = new ProxyServer(table, forwarding.withTransparent(true), registry);
        this.statusMetrics = new StatusMetrics(registry, () -> new ServicesStatus(table, proxy::stats).model(), true);
        this.interception = new Interception(CommandRunner.processes(), interceptionConfig, registry);
        this.udp6Listeners = new NodeUdp6Listeners(proxy, addresses.nodePort());
        this.sourceIpPreserved = interceptionConfig.transparentEgress();
        Gauge.builder("vipd.source.ip.preserved", () -> sourceIpPreserved ? 1 : 0)
                .description("1 when backends see clients' addresses where safe (--source-ip=client), 0 when they "
                        + "always see the node's")
                .register(registry);
        this.healthChecks = new HealthCheckServer(
                addresses.nodePort(), () -> health.snapshot().healthy(), (svc, address, cause) -> {});
        Gauge.builder("vipd.table.restored", () -> restored.serving() ? 1 : 0)
                .description("1 while serving the table snapshot a restart restored, before the API server answered")
                .register(registry);
    }

    /**
     * Starts everything; traffic is intercepted as soon as the sources' initial sync is done.
     *
     * @throws IllegalArgumentException for bad settings (kubeconfig, feature gates)
     * @throws IOException              when nftables or policy routing cannot be set up
     */
    public static NodeRuntime start(NodeSettings settings, int tproxyPort)
            throws IOException, ListenerException, AdminBindException, HandoverException {
        return start(settings, tproxyPort, true, ProxyConfig.defaults(), null);
    }

    /**
     * As {@link #start(NodeSettings, int)}; {@code clientSourceIp} ({@code --source-ip=client}) lets backends
     * see clients' addresses where that is safe ({@link NodeSourceIpPolicy}), if this node supports it; when it
     * does not, vipd warns and uses the node's address. {@code forwarding} holds the forwarding flags
     * (the command line's forwarding options); vipd makes it transparent. {@code stateDir} holds the hand-over
     * socket and the table snapshot (null for neither): a vipd node running on it hands its listeners over
     * once this one can serve, and a snapshot left there is served at once, before the API server answers.
     */
    public static NodeRuntime start(
            NodeSettings settings, int tproxyPort, boolean clientSourceIp, ProxyConfig forwarding, Path stateDir)
            throws IOException, ListenerException, AdminBindException, HandoverException {
        NodeAddressSelection addresses =
                NodeAddressSelection.discover(settings.nodePortAddresses(), settings.bindAddress(), null);
        List<InetAddress> nodePortIps = addresses.nodePort();
        if (nodePortIps.isEmpty()) {
            log.atWarn()
                    .addKeyValue(
                            "nodePortAddresses", settings.nodePortAddresses().toString())
                    .log("No node address matches --nodeport-addresses: NodePorts are unreachable and "
                            + "healthCheckNodePorts listen on every address");
        }
        boolean preserve = clientSourceIp && !settings.masqueradeAll();
        if (preserve) {
            String reason = SourceIpSupport.unsupportedReason(CommandRunner.processes());
            if (reason != null) {
                preserve = false;
                log.atWarn()
                        .addKeyValue("reason", reason)
                        .log("--source-ip=client is not supported on this node; backends see the node's address");
            }
        }
        List<Cidr> local = LocalCidrs.resolve(settings);
        InterceptionConfig ic = new InterceptionConfig(
                tproxyPort,
                tproxyPort,
                InterceptionConfig.DEFAULT_MARK,
                InterceptionConfig.DEFAULT_ROUTE_TABLE,
                local,
                nodePortIps,
                preserve);
        NodeRuntime r = new NodeRuntime(settings, ic, addresses, forwarding, stateDir, local);
        try {
            r.startAll(tproxyPort);
        } catch (IOException | ListenerException | AdminBindException | HandoverException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void startAll(int tproxyPort) throws IOException, ListenerException, AdminBindException, HandoverException {
        FeatureGates gates = FeatureGates.parse(
                settings.featureGates(),
                name -> log.atWarn()
                        .addKeyValue("gate", name)
                        .log("feature gate does not change what vipd programs; ignored"));
        // Built (and the kubeconfig checked) before anything touches the node's network configuration.
        watcher = WatcherRuntime.create(
                settings.kubeconfig(),
                settings.master(),
                settings.nodeName(),
                settings.apiClient(),
                gates,
                table,
                registry,
                observer());
        // Pod egress NetworkPolicy at pick time (docs/network-policy.md): new flows from a restricted local pod
        // go only to backends its policies allow.
        watcher.enforceNetworkPolicies(proxy::setEgressFilter);
        // The predicates read the current addresses, so they follow address changes.
        proxy.setNodeAddresses(a -> addresses.nodePort().contains(a));
        applyLocalCidrs(localCidrs);
        proxy.start();
        interception.start();
        table.addListener(interception);
        table.addListener(healthCheckListener());
        health.failWhile(() -> watcher.source().failure() != null);
        if (stateDir != null) {
            Optional<TableSnapshot> snapshot = new SnapshotStore(stateDir.path()).read(MODE);
            if (snapshot.isPresent()) {
                restored.restore(snapshot.get());
                health.updated();
                serve();
            }
        }
        // Without a snapshot, listeners open after the first sync: until then nftables holds intercepted
        // connections (the client retransmits) instead of this process resetting them.
        watcher.start();
        log.atInfo()
                .addKeyValue("node", settings.nodeName())
                .addKeyValue(
                        "nodePortAddresses",
                        addresses.nodePort().stream().map(Addresses::ipString).toList())
                .addKeyValue("detectLocalMode", settings.localDetection().mode().kubeName())
                .addKeyValue("localCIDRs", localCidrs.toString())
                .addKeyValue("tproxyPort", tproxyPort)
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
                if (handedOver) {
                    return;
                }
                if (initialSyncDone.compareAndSet(false, true)) {
                    restored.reconcile();
                    if (!serving) {
                        try {
                            serve();
                        } catch (IOException
                                | ListenerException
                                | AdminBindException
                                | HandoverException
                                | RuntimeException e) {
                            log.atError().addKeyValue("error", e.getMessage()).log("Cannot start serving");
                            failed.completeExceptionally(e);
                            return;
                        }
                    }
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

    /**
     * Opens the listeners, taking them from a vipd node running on the state directory if there is one, and
     * from then on keeps the snapshot and nftables in step with the table. Runs once: at start after a restored
     * snapshot, else after the first sync.
     */
    private synchronized void serve() throws IOException, ListenerException, AdminBindException, HandoverException {
        if (serving) {
            return;
        }
        if (stateDir != null) {
            succession = Succession.begin(stateDir, MODE, HANDOVER_STEP);
        }
        proxy.setHandover(succession.held(), succession.inherited());
        admin.setHandover(succession.held(), succession.inherited());
        healthChecks.setHandover(succession.held(), succession.inherited());
        try {
            succession.awaitRelease();
            proxy.openTransparent(tproxyAddress, tproxyAddress);
            table.addListener(udp6Listeners);
            udp6Listeners.syncAll(table);
            bindAdmin();
            serving = true;
            syncHealthChecks();
        } catch (ListenerException | AdminBindException | HandoverException | RuntimeException e) {
            succession.abandon();
            throw e;
        }
        if (stateDir != null) {
            try {
                succession.serving(this::onHandedOver, System.getenv(StateDirectory.POD_UID_ENV));
            } catch (IOException e) {
                log.atError()
                        .addKeyValue("state_dir", stateDir)
                        .addKeyValue("reason", e.toString())
                        .log("cannot listen for a successor: a later upgrade will have to bind anew");
            }
            snapshots = new SnapshotWriter(
                    new SnapshotStore(stateDir.path()),
                    MODE,
                    settings.nodeName(),
                    table,
                    SNAPSHOT_INTERVAL,
                    Clock.systemUTC());
            table.addListener(snapshots);
            if (!restored.serving()) {
                // A restored table is already on disk; the first sync's changes are written as they come.
                snapshots.writeNow();
            }
            Gauge.builder("vipd.table.snapshot.write.seconds", snapshots, SnapshotWriter::lastWriteSeconds)
                    .description("How long the last table snapshot took to write")
                    .register(registry);
            Gauge.builder("vipd.table.snapshot.bytes", snapshots, SnapshotWriter::lastWriteBytes)
                    .description("Size of the last table snapshot")
                    .register(registry);
        }
        if (restored.serving()) {
            // Serving a restored table: nftables follows it now; after the first sync the caller syncs it.
            interception.syncAll(table);
        }
        long period = settings.syncPeriod().toMillis();
        verifier.scheduleWithFixedDelay(this::verifyInterception, period, period, TimeUnit.MILLISECONDS);
        long poll = ADDRESS_POLL.toMillis();
        verifier.scheduleWithFixedDelay(this::followAddresses, poll, poll, TimeUnit.MILLISECONDS);
        log.atInfo().addKeyValue("took_over", succession.tookOver()).log("serving");
    }

    /**
     * A successor holds the listeners now: stop following the cluster and touching nftables, snapshots and
     * health-check ports (all the successor's now), and relay what is still open until SIGTERM.
     */
    private void onHandedOver(List<Channel> pausedUdpListeners) {
        handedOver = true;
        verifier.shutdownNow();
        interception.retire();
        table.removeListener(interception);
        table.removeListener(udp6Listeners);
        udp6Listeners.stop();
        if (snapshots != null) {
            table.removeListener(snapshots);
            snapshots.close();
        }
        if (watcher != null) {
            watcher.close();
        }
        succession.close();
        proxy.handedOver();
        log.atInfo().log("handed over to a successor; relaying what is open until SIGTERM");
    }

    /** Completes exceptionally if this process could not start serving after its first sync. */
    public CompletableFuture<Void> failed() {
        return failed;
    }

    /**
     * Every {@link #ADDRESS_POLL}: takes up the node's addresses as they are now (interfaces, and the Node
     * object's primary addresses): NodePorts and healthCheckNodePorts move to the addresses now selected, and
     * the local-traffic and source-address decisions see the new local addresses.
     */
    private void followAddresses() {
        try {
            NodeAddressSelection next = NodeAddressSelection.discover(
                    settings.nodePortAddresses(), settings.bindAddress(), watcher == null ? null : watcher.node());
            NodeAddressSelection previous = addresses;
            if (next.equals(previous)) {
                return;
            }
            addresses = next;
            if (!next.nodePort().equals(previous.nodePort())) {
                log.atInfo()
                        .addKeyValue(
                                "from",
                                previous.nodePort().stream()
                                        .map(Addresses::ipString)
                                        .toList())
                        .addKeyValue(
                                "to",
                                next.nodePort().stream()
                                        .map(Addresses::ipString)
                                        .toList())
                        .log("Node addresses changed; NodePorts follow");
                interception.setNodePortAddresses(next.nodePort(), table);
                udp6Listeners.setNodePortAddresses(next.nodePort(), table);
                healthChecks.setAddresses(next.nodePort());
            }
        } catch (IOException | RuntimeException e) {
            log.atWarn().addKeyValue("error", e.toString()).log("Cannot follow the node's addresses");
        }
    }

    /**
     * Every syncPeriod: restore the nftables table and policy routing if someone changed or removed them, and
     * follow the pod CIDRs of --detect-local-mode.
     */
    private void verifyInterception() {
        try {
            followLocalCidrs();
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("error", e.toString()).log("Cannot follow the pods' CIDRs");
        }
        try {
            interception.verify(table);
        } catch (IOException | RuntimeException e) {
            log.atWarn().addKeyValue("error", e.getMessage()).log("Cannot verify nftables interception");
        }
    }

    /** The local-origin test and the source-IP policy for these local CIDRs. */
    private void applyLocalCidrs(List<Cidr> cidrs) {
        // kube-proxy short-circuits pod- and host-originated external traffic (eTP Local) to all endpoints. The
        // node's own addresses are read at each decision, so they follow address changes.
        proxy.setLocalOrigin(
                client -> addresses.local().contains(client) || cidrs.stream().anyMatch(c -> c.contains(client)));
        proxy.setSourceIpPolicy(
                sourceIpPreserved
                        ? new NodeSourceIpPolicy(a -> addresses.local().contains(a), cidrs)
                        : SourceIpPolicy.NODE);
    }

    /**
     * NodeCIDR: kube-proxy exits when the Node's pod CIDRs change, to start over with the new ones; so does vipd.
     * The interface modes: user space follows the routes through the pods' interfaces at once; the nftables
     * short-circuit rule keeps the CIDRs read at start (README, "Detecting local traffic").
     */
    private void followLocalCidrs() {
        LocalDetection.Mode mode = settings.localDetection().mode();
        if (mode == LocalDetection.Mode.NODE_CIDR && watcher != null) {
            List<Cidr> now = watcher.node().podCidrs();
            if (!now.isEmpty() && !Set.copyOf(now).equals(Set.copyOf(localCidrs))) {
                log.atError()
                        .addKeyValue("podCIDRs", now.toString())
                        .addKeyValue("previous", localCidrs.toString())
                        .log("The Node's spec.podCIDRs changed; exiting to start over with them, as kube-proxy does");
                failed.completeExceptionally(new IllegalStateException(
                        "Node " + settings.nodeName() + " spec.podCIDRs changed from " + localCidrs + " to " + now));
            }
        } else if (mode == LocalDetection.Mode.BRIDGE_INTERFACE || mode == LocalDetection.Mode.INTERFACE_NAME_PREFIX) {
            List<Cidr> now = PodRoutes.read(settings.localDetection()::podInterface);
            if (!now.equals(localCidrs)) {
                localCidrs = List.copyOf(now);
                applyLocalCidrs(localCidrs);
                log.atInfo()
                        .addKeyValue("localCIDRs", now.toString())
                        .log("Routes through the pods' interfaces changed");
            }
        }
    }

    private TableListener healthCheckListener() {
        return (ServiceTable t, Set<ServicePortName> changed) -> {
            if (serving && !handedOver) {
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
            bindOrRetry(settings.healthzBindAddress(), endpoints.routes(), Map.of());
        }
        if (settings.metricsBindAddress() != null) {
            Map<String, AdminHandler> routes = new HashMap<>(endpoints.routes());
            routes.put("/metrics", VipdMetrics.scrape(registry, statusMetrics::refresh));
            routes.put("/services", q -> AdminResponse.json(200, Json.write(servicesModel())));
            routes.put("/", new StatusPage("vipd node", this::servicesModel, Clock.systemUTC()));
            routes.put("/proxyMode", q -> AdminResponse.text(200, PROXY_MODE));
            String configz = Json.write(EffectiveKubeProxyConfiguration.configz(settings));
            routes.put("/configz", q -> AdminResponse.json(200, configz));
            // Node-local drains of Pod backends; the watcher's updates keep them while the endpoint stays.
            bindOrRetry(
                    settings.metricsBindAddress(), routes, new BackendDrainActions(table, proxy.drains()).actions());
        }
    }

    /**
     * kube-proxy's --bind-address-hard-fail: when set, a listener that cannot bind stops vipd; otherwise (kube-proxy's
     * default) the failure is logged and the bind retried every 5 s while vipd serves.
     */
    private void bindOrRetry(
            InetSocketAddress address, Map<String, AdminHandler> routes, Map<String, AdminAction> actions)
            throws AdminBindException {
        try {
            admin.bind(address, routes, actions);
        } catch (AdminBindException e) {
            if (settings.bindAddressHardFail()) {
                throw e;
            }
            log.atError()
                    .addKeyValue("address", address)
                    .addKeyValue("error", e.getMessage())
                    .log("Cannot bind; retrying every 5 s (--bind-address-hard-fail makes this fatal)");
            verifier.schedule(() -> retryBind(address, routes, actions), ADMIN_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void retryBind(
            InetSocketAddress address, Map<String, AdminHandler> routes, Map<String, AdminAction> actions) {
        if (handedOver) {
            return;
        }
        try {
            admin.bind(address, routes, actions);
            log.atInfo().addKeyValue("address", address).log("Bound after all");
        } catch (AdminBindException | RuntimeException e) {
            verifier.schedule(() -> retryBind(address, routes, actions), ADMIN_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    public ServiceTable table() {
        return table;
    }

    /** The /services model ({@code vipd services}), plus where the table comes from. */
    public Map<String, Object> servicesModel() {
        Map<String, Object> model = new LinkedHashMap<>(new ServicesStatus(table, proxy::stats).model());
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("kind", "kubernetes");
        source.put("node", settings.nodeName());
        source.put("apiServerSynced", initialSyncDone.get());
        source.put("restoredSnapshot", restored.serving());
        source.put("snapshotTakenAt", restored.takenAt());
        model.put("source", source);
        PolicyStatus.annotate(
                model,
                watcher == null || watcher.policySource() == null
                        ? null
                        : watcher.policySource().current());
        return model;
    }

    /**
     * Stops watching and serving; established connections get up to {@code grace}. The nftables table and
     * routes stay, so a restarted vipd takes over without a gap; {@code vipd cleanup} removes them. Call
     * {@link #close} after the returned future completes (not from its callbacks: they run on an event loop
     * that close stops).
     */
    public CompletableFuture<Void> shutdown(Duration grace) {
        verifier.shutdownNow();
        if (snapshots != null && !handedOver) {
            table.removeListener(snapshots);
            snapshots.close();
            snapshots.writeNow();
        }
        succession.close();
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
        succession.close();
        if (snapshots != null) {
            snapshots.close();
        }
        if (watcher != null) {
            watcher.close();
        }
        healthChecks.close();
        admin.close();
        proxy.close();
        interception.close();
    }
}
