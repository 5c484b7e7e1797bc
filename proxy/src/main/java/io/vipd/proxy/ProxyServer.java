package io.vipd.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.vipd.handover.HeldListeners;
import io.vipd.handover.InheritedListeners;
import io.vipd.lb.EgressFilter;
import io.vipd.lb.Frontend;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding engine: TCP and UDP listeners on Netty event loops (native epoll when available, NIO
 * otherwise) that look each new connection or flow up in the {@link ServiceTable}, pick a backend and relay.
 *
 * <p>Life cycle: construct, {@link #start()}, {@link #open} frontends (any number of times, from any thread
 * but an event loop), {@link #shutdown(Duration)} and/or {@link #close()}. The engine never writes the table;
 * it listens to it to evict UDP flows whose backend left.
 *
 * <p>This class is the API the compositions call and the life cycle; the listening sockets are kept by
 * {@link Listeners}, a shutdown's wait for connections is a {@link ConnectionDrain}, and connections are
 * served by {@link TcpAcceptor} and {@link UdpFrontendHandler}, which take their routing decisions from the
 * {@link Engine}, their loop's state from {@link EventLoops} and their counters from {@link ServiceRuntimes},
 * {@link BackendHealthRegistry} and {@link ProxyMeters}.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    /** How often runtime state of service ports and backends that left the table is forgotten. */
    private static final int FORGET_EVERY_SECONDS = 30;
    /** After a hand-over, how long flows answering through a handed-over listener wait for late answers. */
    private static final int UDP_LINGER_SECONDS = 2;

    private final Engine engine;
    private final BackendHealthRegistry health;
    private final UnavailableBackends unavailable = new UnavailableBackends();
    private final MeterRegistry registry;
    private final BackendDrains drains;
    private final ServiceRuntimes services;
    private final ProxyMeters meters;
    private final EventLoops loops = new EventLoops();
    private final TableListener tableListener = this::onTableChanged;
    private final Object lock = new Object();
    /** Guarded by lock. */
    private final Listeners listeners;

    private ScheduledExecutorService housekeeping;
    /** Set once by start(): active health checks, on a loop of their own. */
    private volatile HealthChecker checker;
    /** Guarded by lock: the checks asked for, also before start. */
    private Map<ServicePortName, HealthCheck> healthChecks = Map.of();
    /** Guarded by lock: shutdown futures not completed yet, completed by close() at the latest. */
    private final List<CompletableFuture<Void>> pendingShutdowns = new ArrayList<>();

    private volatile boolean started;
    private volatile boolean closed;

    public ProxyServer(ServiceTable table, ProxyConfig config, MeterRegistry registry) {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        health = new BackendHealthRegistry(config.ejectionThreshold(), config.ejectionBackoff());
        this.registry = registry;
        engine = new Engine(table, config, health, unavailable);
        drains = new BackendDrains(table, unavailable);
        services = new ServiceRuntimes(table, registry, health);
        meters = new ProxyMeters(registry);
        listeners = new Listeners(engine, services, meters, loops);
    }

    /** Starts the event loops (epoll if available, else NIO) and registers a table listener. */
    public void start() {
        synchronized (lock) {
            if (started) {
                return;
            }
            if (closed) {
                throw new IllegalStateException("the proxy is closed");
            }
            loops.start(engine, meters);
            // Off the event loops: sweeping affinity entries is O(entries), and shutdown futures complete here so
            // that a caller chaining close() onto them never blocks an event loop.
            housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vipd-housekeeping");
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(
                    guarded("affinity sweep", engine.affinity::sweep), 10, 10, TimeUnit.SECONDS);
            housekeeping.scheduleWithFixedDelay(
                    guarded("forgetting departed services and backends", this::forgetDeparted),
                    FORGET_EVERY_SECONDS,
                    FORGET_EVERY_SECONDS,
                    TimeUnit.SECONDS);
            engine.table.addListener(tableListener);
            checker = new HealthChecker(engine.table, unavailable, registry, engine.transport);
            checker.configure(healthChecks);
            started = true;
            log.atInfo()
                    .addKeyValue("transport", engine.transport.name())
                    .addKeyValue("event_loops", loops.loops().size())
                    .log("proxy started");
        }
    }

    /** The transport the engine's own loops run: epoll, io_uring or nio. */
    String transportName() {
        return engine.transport.name();
    }

    /**
     * Opens listeners for these frontends and starts accepting on them: {@link #bind} then {@link #accept}.
     * Must not be called on an event loop.
     */
    public void open(Collection<Frontend> frontends) throws ListenerException {
        synchronized (lock) {
            bind(frontends);
            accept(frontends);
        }
    }

    /**
     * Binds listeners for these frontends without accepting yet: the kernel queues connections and datagrams
     * until {@link #accept}, so a caller can claim the addresses first (a failed bind changes nothing) and
     * install the frontends in the table before the first connection is served rather than reset.
     * TCP: SO_REUSEPORT, one bind per event loop; UDP: one datagram socket per loop with SO_REUSEPORT; one
     * bind each under NIO. A NodePort frontend (no address) binds the wildcard address and is served by a
     * NodePort lookup by port. All or nothing: if any bind fails, closes what this call bound and throws a
     * ListenerException naming the address and reason (e.g. "127.0.0.1:8080/TCP: Address already in use").
     * Already-bound frontends are left as they are. Must not be called on an event loop.
     */
    public void bind(Collection<Frontend> frontends) throws ListenerException {
        synchronized (lock) {
            checkRunning();
            listeners.bind(frontends);
        }
    }

    /** Starts accepting on bound listeners; already-accepting ones and unknown frontends are left alone. */
    public void accept(Collection<Frontend> frontends) {
        synchronized (lock) {
            listeners.accept(frontends);
        }
    }

    /** Closes listeners; established connections and UDP flows through them are kept. */
    public void close(Collection<Frontend> frontends) {
        synchronized (lock) {
            listeners.close(frontends);
        }
    }

    /**
     * Where the listening sockets come from and where they are recorded for a successor: sockets in
     * {@code inherited} are adopted instead of bound, and every listener is added to {@code held}. Call before
     * opening listeners.
     */
    public void setHandover(HeldListeners held, InheritedListeners inherited) {
        synchronized (lock) {
            listeners.setHandover(held, inherited);
        }
    }

    /**
     * A successor took the listening sockets: stop thinking of them as ours and finish what is open. Established
     * connections go on as before. UDP flows that answer through a frontend's listener (edge mode) get
     * {@value #UDP_LINGER_SECONDS} s for answers still on their way, since the client's next datagrams reach
     * the successor; then they and those listeners close, so no socket stays bound here with nobody reading it.
     * Flows with their own reply sockets (node mode's transparent listener) keep going until they idle out.
     *
     * @return completes when no TCP connection and no UDP flow is open any more
     */
    public CompletableFuture<Void> handedOver() {
        List<Channel> udp;
        synchronized (lock) {
            checkRunning();
            udp = listeners.forgetHandedOver();
        }
        log.atInfo()
                .addKeyValue("connections", meters.activeConnections.get())
                .addKeyValue("udp_flows", meters.udpFlows.get())
                .log("listeners handed over; finishing the connections and flows still open");
        if (!udp.isEmpty()) {
            housekeeping.schedule(
                    () -> {
                        loops.executeOnEach(state -> state.udp.closeAnsweringViaListeners());
                        udp.forEach(Channel::close);
                    },
                    UDP_LINGER_SECONDS,
                    TimeUnit.SECONDS);
        }
        CompletableFuture<Void> idle = new CompletableFuture<>();
        ScheduledFuture<?> poll = housekeeping.scheduleWithFixedDelay(
                () -> {
                    if (meters.activeConnections.get() == 0 && meters.udpFlows.get() == 0) {
                        idle.complete(null);
                    }
                },
                100,
                100,
                TimeUnit.MILLISECONDS);
        idle.whenComplete((v, e) -> {
            poll.cancel(false);
            udp.forEach(Channel::close);
            log.atInfo().log("every connection and flow handed over has finished");
        });
        return idle;
    }

    /**
     * The active health checks in force from now on, by service port; ports not named are not checked (and
     * their backends count as up). May be called before {@link #start}.
     */
    public void setHealthChecks(Map<ServicePortName, HealthCheck> checks) {
        synchronized (lock) {
            healthChecks = Map.copyOf(checks);
            if (checker != null && !closed) {
                checker.configure(healthChecks);
            }
        }
    }

    /** Run-time drains of backends ({@code vipd backend drain}). */
    public BackendDrains drains() {
        return drains;
    }

    /** The frontends with open listeners now. */
    public Set<Frontend> openFrontends() {
        synchronized (lock) {
            return listeners.frontends();
        }
    }

    /**
     * Node mode: one transparent TCP and one UDP listener (IP_TRANSPARENT, and IP_RECVORIGDSTADDR for UDP)
     * that serve every frontend in the table by the original destination. Needs epoll and CAP_NET_ADMIN.
     * Either address may be null to skip that protocol.
     */
    public void openTransparent(InetSocketAddress tcp, InetSocketAddress udp) throws ListenerException {
        synchronized (lock) {
            checkRunning();
            listeners.openTransparent(tcp, udp);
        }
    }

    /**
     * Writes one access log line per TCP connection and UDP flow that ends from now on; null turns it off (the
     * default). The caller closes the log after the proxy.
     */
    public void setAccessLog(AccessLog accessLog) {
        engine.accessLog = accessLog;
    }

    /**
     * Node mode hook: traffic on the transparent listeners whose original destination is one of these
     * addresses and matches no frontend by address is looked up as a NodePort by its port. Default: none.
     */
    public void setNodeAddresses(Predicate<InetAddress> isNodeAddress) {
        engine.nodeAddresses = Objects.requireNonNull(isNodeAddress);
    }

    /**
     * Node mode hook: whether a client address is on this node (the node itself or a local pod); such
     * external traffic is short-circuited to the cluster endpoints under externalTrafficPolicy Local, as
     * kube-proxy does. Default: no client is local.
     */
    public void setLocalOrigin(Predicate<InetAddress> isLocalClient) {
        engine.localOrigin = Objects.requireNonNull(isLocalClient);
    }

    /**
     * Node mode hook: per flow, whether the backend sees the client's address (transparent egress) or the
     * node's. Default: {@link SourceIpPolicy#CLIENT}. Applies to new connections and flows.
     */
    public void setSourceIpPolicy(SourceIpPolicy policy) {
        engine.sourceIp = Objects.requireNonNull(policy);
    }

    /**
     * Node mode hook: which backends each client may reach under its egress NetworkPolicy. A new flow goes to
     * the first allowed backend of its preference order; with none allowed it is refused as with no endpoints
     * and counted in {@code vipd_connections_refused_by_policy_total}. Default: {@link EgressFilter#NONE}.
     * Applies to new connections and flows; replace it whole when policies change.
     */
    public void setEgressFilter(EgressFilter filter) {
        engine.egress = Objects.requireNonNull(filter);
    }

    /**
     * Stops accepting (closes every listener), lets established connections finish up to {@code grace}, then
     * resets the rest and forgets UDP flows. Completes when done. The event loops keep running until
     * {@link #close()}.
     */
    public CompletableFuture<Void> shutdown(Duration grace) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (lock) {
            if (!started || closed) {
                done.complete(null);
                return done;
            }
            listeners.closeEvery();
            pendingShutdowns.add(done);
        }
        ConnectionDrain.start(loops, meters.activeConnections, grace, () -> completeLater(done));
        return done;
    }

    /** Completes a shutdown's future off the event loops, so that what the caller chains on it blocks none. */
    private void completeLater(CompletableFuture<Void> done) {
        synchronized (lock) {
            if (!closed) {
                housekeeping.execute(() -> done.complete(null));
                return;
            }
        }
        done.complete(null);
    }

    /** A housekeeping task that logs a failure instead of silently cancelling its schedule. */
    private static Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.atError().setCause(e).addKeyValue("task", what).log("housekeeping task failed");
            }
        };
    }

    /** See {@link ServiceRuntimes#forgetDeparted}; runs every {@value #FORGET_EVERY_SECONDS} s. */
    int forgetDeparted() {
        int n = services.forgetDeparted();
        if (n > 0) {
            log.atDebug().addKeyValue("forgotten", n).log("forgot departed service ports and backends");
        }
        return n;
    }

    /** TCP client connections being relayed now. */
    public int activeConnections() {
        return meters.activeConnections.get();
    }

    /** UDP flows held now. */
    public int activeUdpFlows() {
        return meters.udpFlows.get();
    }

    /**
     * Per-service runtime state for status pages: every service port in the table with every endpoint, plus
     * service ports that left the table but still have connections or flows.
     */
    public ProxyStats stats() {
        return StatsSnapshot.take(engine.table, services, health, unavailable, checker, meters);
    }

    /** Closes every listener and connection at once and stops the event loops. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            engine.table.removeListener(tableListener);
            if (!started) {
                return;
            }
            listeners.closeEvery();
            checker.close();
        }
        housekeeping.shutdownNow();
        loops.shutdown();
        List<CompletableFuture<Void>> unfinished;
        synchronized (lock) {
            unfinished = new ArrayList<>(pendingShutdowns);
            pendingShutdowns.clear();
        }
        unfinished.forEach(f -> f.complete(null));
        log.atInfo().log("proxy stopped");
    }

    private void onTableChanged(ServiceTable table, Set<ServicePortName> changed) {
        if (closed) {
            return;
        }
        for (ServicePortName name : changed) {
            io.vipd.lb.ServicePortEntry entry = table.get(name);
            if (entry == null) {
                engine.affinity.forgetPort(name);
            }
            unavailable.retainListed(name, entry);
        }
        HealthChecker c = checker;
        if (c != null) {
            c.onTableChanged(changed);
        }
        loops.executeOnEach(state -> state.udp.onTableChanged(changed));
    }

    private void checkRunning() {
        if (!started || closed) {
            throw new IllegalStateException(closed ? "the proxy is closed" : "the proxy is not started");
        }
    }

    /** The forwarding loops, for tests that hold them still while the network moves on. */
    Set<EventLoop> eventLoops() {
        return loops.loops();
    }
}
