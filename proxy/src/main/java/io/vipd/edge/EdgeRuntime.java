package io.vipd.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
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
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.AccessLog;
import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.ProxyServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vipd edge} assembled: the service table fed from a watched configuration file, the forwarding
 * engine, and the admin servers (metrics, status and health). {@link #start} applies the file or fails with
 * its first error; afterwards every change of the file is applied service by service, and an invalid file
 * is reported (log, status page, {@code vipd_config_reloads_total{result="failure"}}) while the last good
 * configuration stays in force.
 */
public final class EdgeRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeRuntime.class);
    static final String MODE = "edge";
    /**
     * How long each step of a hand-over may take before it is abandoned. Opening 10,000 frontends over inherited
     * sockets takes seconds on a small machine, and a running process that gave up while its successor still
     * registered them would accept beside it; a successor that hangs only delays connections, which wait queued.
     */
    private static final Duration HANDOVER_STEP = Duration.ofSeconds(30);

    /**
     * @param config        the configuration file
     * @param metricsBind   metrics, status and /services address, or null for none
     * @param healthzBind   /healthz and /livez address, or null for none
     * @param pollInterval  how often the file is checked besides directory events
     * @param healthTimeout how long an applied-in-progress reload may take before /healthz reports 503
     * @param proxyConfig   the forwarding engine's settings
     * @param stateDir      where the hand-over socket lives (a vipd edge started later on the same directory
     *                      takes this one's listeners over), or null for no hand-over
     * @param accessLog     where the access log goes, or null for none
     */
    public record Options(
            Path config,
            InetSocketAddress metricsBind,
            InetSocketAddress healthzBind,
            Duration pollInterval,
            Duration healthTimeout,
            ProxyConfig proxyConfig,
            Path stateDir,
            AccessLog.Settings accessLog) {
        public Options {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(pollInterval, "pollInterval");
            Objects.requireNonNull(healthTimeout, "healthTimeout");
            Objects.requireNonNull(proxyConfig, "proxyConfig");
        }

        public static Options defaults(Path config) {
            return new Options(
                    config,
                    new InetSocketAddress("127.0.0.1", 10249),
                    new InetSocketAddress("0.0.0.0", 10256),
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(60),
                    ProxyConfig.defaults(),
                    null,
                    null);
        }

        public Options withAdmin(InetSocketAddress metrics, InetSocketAddress healthz) {
            return new Options(config, metrics, healthz, pollInterval, healthTimeout, proxyConfig, stateDir, accessLog);
        }

        public Options withProxyConfig(ProxyConfig v) {
            return new Options(config, metricsBind, healthzBind, pollInterval, healthTimeout, v, stateDir, accessLog);
        }

        public Options withHealthTimeout(Duration v) {
            return new Options(config, metricsBind, healthzBind, pollInterval, v, proxyConfig, stateDir, accessLog);
        }

        public Options withStateDir(Path v) {
            return new Options(
                    config, metricsBind, healthzBind, pollInterval, healthTimeout, proxyConfig, v, accessLog);
        }

        public Options withAccessLog(AccessLog.Settings v) {
            return new Options(config, metricsBind, healthzBind, pollInterval, healthTimeout, proxyConfig, stateDir, v);
        }

        public Options withPollInterval(Duration v) {
            return new Options(config, metricsBind, healthzBind, v, healthTimeout, proxyConfig, stateDir, accessLog);
        }
    }

    private final Options options;
    private final EdgeConfigLoader loader;
    private final ServiceTable table = new ServiceTable();
    private final PrometheusMeterRegistry registry;
    /** Every configured service port's backend states and ready count, refreshed on each scrape. */
    private final StatusMetrics statusMetrics;

    private final HealthState health;
    private final ProxyServer proxy;
    private final EdgeConfigApplier applier;
    private final AdminServer admin = new AdminServer();
    private final Counter reloadSuccesses;
    private final Counter reloadFailures;
    private final ConfigFileWatcher watcher;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Completes when a successor took the listeners and everything still open here has finished. */
    private final CompletableFuture<Void> succeeded = new CompletableFuture<>();

    private Succession succession = Succession.none();
    /** Guarded by this: set once shutting down, so no reload (file watch or SIGHUP) opens a listener again. */
    private boolean stopping;

    /** Null when off. */
    private AccessLog accessLog;

    private volatile EdgeConfig current;
    private volatile Instant lastApplied;
    private volatile String lastError;
    private InetSocketAddress metricsAddress;
    private InetSocketAddress healthzAddress;

    private EdgeRuntime(Options options, EdgeConfigLoader loader, InstantSource clock, byte[] loadedDigest) {
        this.options = options;
        this.loader = loader;
        this.registry = VipdMetrics.newRegistry();
        this.health = new HealthState(clock, options.healthTimeout());
        this.proxy = new ProxyServer(table, options.proxyConfig(), registry);
        this.statusMetrics = new StatusMetrics(registry, () -> new ServicesStatus(table, proxy::stats).model(), false);
        this.applier = new EdgeConfigApplier(table, FrontendListeners.of(proxy));
        reloadSuccesses = Counter.builder("vipd.config.reloads")
                .tag("result", "success")
                .description("Configuration file loads applied")
                .register(registry);
        reloadFailures = Counter.builder("vipd.config.reloads")
                .tag("result", "failure")
                .description("Configuration file loads refused (the last good configuration stays in force)")
                .register(registry);
        Gauge.builder("vipd.config.last.reload.successful", this, r -> r.lastError == null ? 1 : 0)
                .description("1 if the last load of the configuration file was applied")
                .register(registry);
        Gauge.builder("vipd.services", table, ServiceTable::size)
                .description("Service ports in the table")
                .register(registry);
        this.watcher = new ConfigFileWatcher(options.config(), options.pollInterval(), loadedDigest, this::reload);
    }

    /**
     * Loads and applies the configuration, opens the admin servers and starts watching the file.
     *
     * @throws EdgeConfigException the file is invalid or a listener cannot be opened (nothing is left running)
     * @throws AdminBindException  an admin address cannot be bound (nothing is left running)
     */
    public static EdgeRuntime start(Options options) throws EdgeConfigException, AdminBindException, HandoverException {
        return start(options, EdgeConfigLoader.withDefaultFormats(), InstantSource.system());
    }

    /**
     * As {@link #start(Options)}. With a state directory, a vipd edge already running on it hands its listening
     * sockets over once this one has parsed its file, so an upgrade refuses no connection.
     *
     * @throws HandoverException a running vipd on the state directory refused (it goes on serving)
     */
    public static EdgeRuntime start(Options options, EdgeConfigLoader loader, InstantSource clock)
            throws EdgeConfigException, AdminBindException, HandoverException {
        String text = EdgeConfigLoader.read(options.config());
        EdgeConfig config = loader.parse(options.config().toString(), text);
        EdgeRuntime r = new EdgeRuntime(options, loader, clock, ConfigFileWatcher.digest(text));
        boolean started = false;
        try {
            if (options.stateDir() != null) {
                try {
                    r.succession = Succession.begin(new StateDirectory(options.stateDir()), MODE, HANDOVER_STEP);
                } catch (IOException e) {
                    throw new HandoverException("state directory " + options.stateDir() + ": " + e.getMessage(), e);
                }
            }
            if (options.accessLog() != null) {
                try {
                    r.accessLog = AccessLog.open(
                            options.accessLog().file(), options.accessLog().format(), r.registry);
                } catch (IOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                r.proxy.setAccessLog(r.accessLog);
            }
            r.proxy.setHandover(r.succession.held(), r.succession.inherited());
            r.admin.setHandover(r.succession.held(), r.succession.inherited());
            r.proxy.start();
            r.succession.awaitRelease();
            // Admin first, as kube-proxy does: a busy admin port fails start-up before any listener opens.
            r.bindAdmin();
            r.apply(config);
            try {
                r.succession.serving(r::onHandedOver, System.getenv(StateDirectory.POD_UID_ENV));
            } catch (IOException e) {
                // Serving already; only the next hand-over is lost.
                log.atError()
                        .addKeyValue("state_dir", options.stateDir())
                        .addKeyValue("reason", e.toString())
                        .log("cannot listen for a successor: a later upgrade will have to bind anew");
            }
            r.watcher.start();
            started = true;
            log.atInfo()
                    .addKeyValue("config", options.config())
                    .addKeyValue("services", r.table.size())
                    .addKeyValue("metrics", r.metricsAddress == null ? "off" : Addresses.key(r.metricsAddress))
                    .addKeyValue("healthz", r.healthzAddress == null ? "off" : Addresses.key(r.healthzAddress))
                    .log("vipd edge started");
            return r;
        } finally {
            if (!started) {
                r.succession.abandon();
                r.close();
            }
        }
    }

    /**
     * A successor took the listeners: stop following the file, and finish the connections and flows still open
     * here; {@link #succeeded()} completes after that.
     */
    private void onHandedOver(List<Channel> pausedUdpListeners) {
        synchronized (this) {
            // The successor owns the addresses now: a reload here (file watch, SIGHUP) would fight it for them.
            stopping = true;
        }
        watcher.close();
        succession.close();
        log.atInfo().log("handed over to a successor; this process exits once its connections are done");
        proxy.handedOver().whenComplete((v, e) -> succeeded.complete(null));
    }

    /** Completes when a successor serves in this process's place and nothing is open here any more. */
    public CompletableFuture<Void> succeeded() {
        return succeeded;
    }

    private void bindAdmin() throws AdminBindException {
        HealthEndpoints endpoints = new HealthEndpoints(health, registry);
        if (options.metricsBind() != null) {
            Map<String, AdminHandler> routes = new HashMap<>(endpoints.routes());
            routes.put("/metrics", VipdMetrics.scrape(registry, statusMetrics::refresh));
            routes.put("/services", q -> AdminResponse.json(200, Json.write(servicesModel())));
            routes.put("/", new StatusPage("vipd edge", this::servicesModel, InstantSource.system()));
            metricsAddress =
                    admin.bind(options.metricsBind(), routes, new BackendDrainActions(table, proxy.drains()).actions());
        }
        if (options.healthzBind() != null) {
            healthzAddress = admin.bind(options.healthzBind(), endpoints.routes());
        }
    }

    private void apply(EdgeConfig config) throws EdgeConfigException {
        health.queuedUpdate();
        EdgeConfigApplier.Result result;
        Map<ServicePortName, ServicePortEntry> before = new HashMap<>();
        table.entries().forEach(e -> before.put(e.name(), e));
        long generation = table.generation();
        boolean applied = false;
        try {
            result = applier.apply(config);
            applied = true;
        } finally {
            // Also after a partial apply (a Service that could not be built): the table changed for the others.
            if (applied || table.generation() != generation) {
                List<ServicePortName> inTable =
                        table.entries().stream().map(ServicePortEntry::name).toList();
                proxy.setHealthChecks(config.healthChecks(inTable));
                ReloadedDrains.forgetChanged(before, table, proxy.drains());
            }
            // A refused configuration leaves the one in force fully applied, so nothing stays pending.
            health.updated();
        }
        current = config;
        lastApplied = Instant.now();
        lastError = null;
        reloadSuccesses.increment();
        log.atInfo()
                .addKeyValue("file", config.file())
                .addKeyValue("added", sorted(result.added()))
                .addKeyValue("changed", sorted(result.changed()))
                .addKeyValue("removed", sorted(result.removed()))
                .addKeyValue("opened", result.opened().size())
                .addKeyValue("closed", result.closed().size())
                .log("configuration applied");
    }

    private static String sorted(Set<?> names) {
        return names.stream().map(Object::toString).sorted().toList().toString();
    }

    /**
     * Re-reads the file and applies it; on error logs it and keeps the configuration in force. Once shutting
     * down, does nothing.
     */
    public synchronized void reload() {
        if (stopping) {
            log.atInfo().log("reload skipped: shutting down");
            return;
        }
        try {
            apply(loader.load(options.config(), applier::applied));
        } catch (EdgeConfigException e) {
            lastError = e.getMessage();
            reloadFailures.increment();
            log.atError()
                    .addKeyValue("error", e.getMessage())
                    .log("configuration refused; the last good configuration stays in force");
        }
    }

    /** The /services model, plus the configuration file's state. */
    public Map<String, Object> servicesModel() {
        Map<String, Object> model = new LinkedHashMap<>(new ServicesStatus(table, proxy::stats).model());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("file", options.config().toString());
        config.put("lastApplied", lastApplied == null ? null : lastApplied.toString());
        config.put("lastError", lastError);
        model.put("config", config);
        return model;
    }

    /** Stops watching and accepting, lets established connections finish up to {@code grace}, then closes. */
    public CompletableFuture<Void> shutdown(Duration grace) {
        stopReloads();
        log.atInfo()
                .addKeyValue("grace", grace)
                .addKeyValue("connections", proxy.activeConnections())
                .log("shutting down: draining connections");
        // Async: the drain completes on an event loop, which close() must not wait for from inside.
        return proxy.shutdown(grace).whenCompleteAsync((v, e) -> close());
    }

    /** Returns once no reload runs and none will start. */
    private void stopReloads() {
        watcher.close();
        synchronized (this) {
            stopping = true;
        }
    }

    @Override
    public void close() {
        succession.close();
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopReloads();
        admin.close();
        proxy.close();
        if (accessLog != null) {
            accessLog.close();
        }
        registry.close();
    }

    public ServiceTable table() {
        return table;
    }

    public ProxyServer proxy() {
        return proxy;
    }

    public HealthState health() {
        return health;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public EdgeConfig currentConfig() {
        return current;
    }

    /** The last refused reload's message, or null when the last load was applied. */
    public String lastError() {
        return lastError;
    }

    /** The bound metrics address (port 0 resolved), or null when off. */
    public InetSocketAddress metricsAddress() {
        return metricsAddress;
    }

    public InetSocketAddress healthzAddress() {
        return healthzAddress;
    }
}
