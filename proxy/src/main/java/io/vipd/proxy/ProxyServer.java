package io.vipd.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.vipd.lb.Addresses;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    private static final int BACKLOG = 4096;

    /** How often runtime state of service ports and backends that left the table is forgotten. */
    private static final int FORGET_EVERY_SECONDS = 30;
    private final Engine engine;
    /** nanoTime of the last least-connections counter prune; touched only by the table's writer thread. */
    private long lastCountsPrune = System.nanoTime();
    private final Map<ListenerKind, TcpAcceptor> acceptors = new HashMap<>();
    private final Map<ListenerKind, UdpFrontendHandler> udpHandlers = new HashMap<>();
    private final TableListener tableListener = this::onTableChanged;
    private final Object lock = new Object();
    /** Guarded by lock. */
    private final Map<Frontend, List<Channel>> listeners = new LinkedHashMap<>();
    /** Guarded by lock. */
    private final List<Channel> transparentListeners = new ArrayList<>();
    private ScheduledExecutorService housekeeping;
    /** Guarded by lock: shutdown futures not completed yet, completed by close() at the latest. */
    private final List<CompletableFuture<Void>> pendingShutdowns = new ArrayList<>();
    private volatile boolean started;
    private volatile boolean closed;

    public ProxyServer(ServiceTable table, ProxyConfig config, MeterRegistry registry) {
        engine = new Engine(Objects.requireNonNull(table, "table"), Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(registry, "registry"));
        for (ListenerKind k : ListenerKind.values()) {
            acceptors.put(k, new TcpAcceptor(engine, k));
            udpHandlers.put(k, new UdpFrontendHandler(engine, k));
        }
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
            int n = engine.config.effectiveEventLoops();
            engine.group = engine.transport.newGroup(n);
            Map<EventLoop, LoopState> loops = new HashMap<>();
            long sweep = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                    Math.min(engine.udpIdleNanos / 2, TimeUnit.SECONDS.toNanos(1)));
            for (EventExecutor e : engine.group) {
                LoopState state = new LoopState(engine);
                loops.put((EventLoop) e, state);
                e.scheduleWithFixedDelay(state.udp::sweep, sweep, sweep, TimeUnit.NANOSECONDS);
            }
            engine.loops = Map.copyOf(loops);
            // Off the event loops: sweeping affinity entries is O(entries), and shutdown futures complete here so
            // that a caller chaining close() onto them never blocks an event loop.
            housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vipd-housekeeping");
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(guarded("affinity sweep", engine.affinity::sweep), 10, 10,
                    TimeUnit.SECONDS);
            housekeeping.scheduleWithFixedDelay(guarded("forgetting departed services and backends",
                    this::forgetDeparted), FORGET_EVERY_SECONDS, FORGET_EVERY_SECONDS, TimeUnit.SECONDS);
            engine.table.addListener(tableListener);
            started = true;
            log.atInfo().addKeyValue("transport", engine.transport.name()).addKeyValue("event_loops", n)
                    .log("proxy started");
        }
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
            Map<Frontend, List<Channel>> bound = new LinkedHashMap<>();
            for (Frontend f : frontends) {
                if (listeners.containsKey(f) || bound.containsKey(f)) {
                    continue;
                }
                try {
                    ListenerKind kind = f.isNodePort() ? ListenerKind.NODE_PORT : ListenerKind.ADDRESS;
                    bound.put(f, bindAll(f.toString(), f, f.socketAddress(), f.protocol(), kind, false));
                } catch (ListenerException e) {
                    bound.values().forEach(ProxyServer::closeAll);
                    throw e;
                }
            }
            listeners.putAll(bound);
        }
    }

    /** Starts accepting on bound listeners; already-accepting ones and unknown frontends are left alone. */
    public void accept(Collection<Frontend> frontends) {
        synchronized (lock) {
            for (Frontend f : frontends) {
                List<Channel> chs = listeners.get(f);
                if (chs != null && !chs.get(0).config().isAutoRead()) {
                    chs.forEach(ch -> ch.config().setAutoRead(true));
                    log.atInfo().addKeyValue("frontend", f).log("listener opened");
                }
            }
        }
    }

    /** Closes listeners; established connections and UDP flows through them are kept. */
    public void close(Collection<Frontend> frontends) {
        synchronized (lock) {
            for (Frontend f : frontends) {
                List<Channel> chs = listeners.remove(f);
                if (chs != null) {
                    closeAll(chs);
                    log.atInfo().addKeyValue("frontend", f).log("listener closed");
                }
            }
        }
    }

    /** The frontends with open listeners now. */
    public Set<Frontend> openFrontends() {
        synchronized (lock) {
            return Set.copyOf(listeners.keySet());
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
            if (!engine.transport.epoll()) {
                throw new ListenerException("transparent listeners need native epoll, which is not available", null);
            }
            List<Channel> opened = new ArrayList<>();
            if (tcp != null) {
                opened.addAll(bindAll(Addresses.key(tcp) + "/TCP (transparent)", null, tcp, Protocol.TCP,
                        ListenerKind.TRANSPARENT, true));
            }
            if (udp != null) {
                try {
                    opened.addAll(bindAll(Addresses.key(udp) + "/UDP (transparent)", null, udp, Protocol.UDP,
                            ListenerKind.TRANSPARENT, true));
                } catch (ListenerException e) {
                    closeAll(opened);
                    throw e;
                }
            }
            transparentListeners.addAll(opened);
        }
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
            closeListeners();
            pendingShutdowns.add(done);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        log.atInfo().addKeyValue("connections", engine.activeConnections.get())
                .addKeyValue("grace_ms", grace.toMillis()).log("draining connections");
        engine.group.next().execute(() -> drain(done, deadline, false));
        return done;
    }

    private void drain(CompletableFuture<Void> done, long deadline, boolean forced) {
        if (engine.activeConnections.get() == 0 || (forced && System.nanoTime() - deadline > 0)) {
            for (Map.Entry<EventLoop, LoopState> e : engine.loops.entrySet()) {
                e.getKey().execute(e.getValue().udp::closeAll);
            }
            log.atInfo().addKeyValue("remaining", engine.activeConnections.get()).log("drained");
            completeLater(done);
            return;
        }
        if (!forced && System.nanoTime() - deadline >= 0) {
            log.atInfo().addKeyValue("connections", engine.activeConnections.get())
                    .log("grace period over; resetting remaining connections");
            for (Map.Entry<EventLoop, LoopState> e : engine.loops.entrySet()) {
                LoopState state = e.getValue();
                e.getKey().execute(() -> new ArrayList<>(state.relays).forEach(TcpRelay::abort));
            }
            // Resets complete within a few loop turns; give up waiting for them after a second.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            engine.group.next().schedule(() -> drain(done, until, true), 10, TimeUnit.MILLISECONDS);
            return;
        }
        engine.group.next().schedule(() -> drain(done, deadline, forced), 20, TimeUnit.MILLISECONDS);
    }

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

    /**
     * See {@link Engine#forgetDeparted}; runs every {@value #FORGET_EVERY_SECONDS} s. Least-connections counters
     * of departed backends are pruned after a table change at most as often.
     */
    int forgetDeparted() {
        int n = engine.forgetDeparted();
        if (n > 0) {
            log.atDebug().addKeyValue("forgotten", n).log("forgot departed service ports and backends");
        }
        return n;
    }

    /** TCP client connections being relayed now. */
    public int activeConnections() {
        return engine.activeConnections.get();
    }

    /** UDP flows held now. */
    public int activeUdpFlows() {
        return engine.udpFlows.get();
    }

    /**
     * Per-service runtime state for status pages: every service port in the table with every endpoint, plus
     * service ports that left the table but still have connections or flows.
     */
    public ProxyStats stats() {
        List<ProxyStats.ServiceStats> rows = new ArrayList<>();
        Set<ServicePortName> seen = new HashSet<>();
        for (ServicePortEntry entry : engine.table.entries()) {
            seen.add(entry.name());
            rows.add(row(entry.name(), entry.endpoints(), engine.existingService(entry.name())));
        }
        for (ServiceRuntime rt : engine.services()) {
            if (!seen.contains(rt.name) && !rt.idle()) {
                rows.add(row(rt.name, BackendSet.empty(), rt));
            }
        }
        rows.sort((a, b) -> a.name().compareTo(b.name()));
        return new ProxyStats(engine.activeConnections.get(), engine.udpFlows.get(), rows);
    }

    private ProxyStats.ServiceStats row(ServicePortName name, BackendSet endpoints, ServiceRuntime rt) {
        Set<String> keys = new TreeSet<>(endpoints.keys());
        if (rt != null) {
            rt.backendKeys().forEach(keys::add);
        }
        List<ProxyStats.BackendStats> backends = new ArrayList<>(keys.size());
        for (String key : keys) {
            BackendRuntime b = rt == null ? null : rt.existingBackend(key);
            backends.add(b != null ? b.snapshot() : new ProxyStats.BackendStats(key, 0, 0, 0, engine.ejected(key)));
        }
        return new ProxyStats.ServiceStats(name, rt == null ? 0 : rt.active.get(), rt == null ? 0 : rt.udpFlows.get(),
                backends);
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
            closeListeners();
        }
        housekeeping.shutdownNow();
        io.netty.util.concurrent.Future<?> terminated = engine.group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boolean onLoop = false;
        for (EventExecutor e : engine.group) {
            onLoop |= e.inEventLoop();
        }
        if (!onLoop) {
            // Waiting on an event loop for the loops to end would never return.
            terminated.syncUninterruptibly();
        }
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
            if (table.get(name) == null) {
                engine.affinity.forgetPort(name);
            }
        }
        for (Map.Entry<EventLoop, LoopState> e : engine.loops.entrySet()) {
            LoopState state = e.getValue();
            e.getKey().execute(() -> state.udp.onTableChanged(changed));
        }
        // Here, on the writer's thread right after an apply, no entry is half built, so no new picker holds a
        // counter the table does not know yet.
        long now = System.nanoTime();
        if (now - lastCountsPrune >= TimeUnit.SECONDS.toNanos(FORGET_EVERY_SECONDS)) {
            lastCountsPrune = now;
            table.pruneConnectionCounts(engine.heldBackendKeys());
        }
    }

    private void checkRunning() {
        if (!started || closed) {
            throw new IllegalStateException(closed ? "the proxy is closed" : "the proxy is not started");
        }
    }

    private void closeListeners() {
        listeners.values().forEach(ProxyServer::closeAll);
        listeners.clear();
        closeAll(transparentListeners);
        transparentListeners.clear();
    }

    private static void closeAll(List<Channel> channels) {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
    }

    /** Binds one listener per event loop (one in all under NIO, which has no SO_REUSEPORT); all or nothing. */
    private List<Channel> bindAll(String name, Frontend frontend, InetSocketAddress address, Protocol protocol,
                                  ListenerKind kind, boolean accepting) throws ListenerException {
        List<Channel> channels = new ArrayList<>();
        List<EventLoop> loops = new ArrayList<>(engine.loops.keySet());
        int count = engine.transport.epoll() ? loops.size() : 1;
        if (engine.transport.epoll()) {
            try {
                BindProbe.checkFree(address, protocol);
            } catch (IOException e) {
                String reason = reason(e);
                throw frontend != null ? new ListenerException(frontend, reason, e)
                        : new ListenerException(name + ": " + reason, e);
            }
        }
        for (int i = 0; i < count; i++) {
            EventLoop loop = loops.get(i);
            ChannelFuture f = protocol == Protocol.TCP
                    ? tcpListener(loop, kind, address).option(ChannelOption.AUTO_READ, accepting).bind(address)
                    : udpListener(loop, kind, address).option(ChannelOption.AUTO_READ, accepting).bind(address);
            f.awaitUninterruptibly();
            if (!f.isSuccess()) {
                closeAll(channels);
                String reason = reason(f.cause());
                throw frontend != null ? new ListenerException(frontend, reason, f.cause())
                        : new ListenerException(name + ": " + reason, f.cause());
            }
            channels.add(f.channel());
        }
        return channels;
    }

    /** "Address already in use" rather than "bind(..) failed with error(-98): Address already in use". */
    private static String reason(Throwable cause) {
        String m = cause == null ? null : cause.getMessage();
        if (m == null || m.isEmpty()) {
            return cause == null ? "unknown error" : cause.getClass().getSimpleName();
        }
        int colon = m.lastIndexOf(": ");
        return colon >= 0 ? m.substring(colon + 2) : m;
    }

    private ServerBootstrap tcpListener(EventLoop loop, ListenerKind kind, InetSocketAddress address) {
        // Children stay on the loop that accepted them: the kernel spreads SYNs over the SO_REUSEPORT group.
        // No TCP_NODELAY option: Netty's socket channels turn it on when created, setting it again costs a syscall.
        ServerBootstrap b = new ServerBootstrap().group(loop, loop);
        if (kind == ListenerKind.TRANSPARENT) {
            b.channel(engine.transport.serverChannel()); // dual-stack: TPROXY hands it both families
        } else {
            // An IPv4 frontend gets an IPv4 socket, and so do its accepted children.
            b.channelFactory(engine.transport.serverChannel(address.getAddress() instanceof Inet4Address));
        }
        b.option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, SocketSettings.TCP_WATER_MARK)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.TCP_RECV_ALLOCATOR)
                .childHandler(acceptors.get(kind));
        if (engine.transport.epoll()) {
            b.option(EpollChannelOption.SO_REUSEPORT, true);
            if (kind == ListenerKind.TRANSPARENT) {
                b.option(EpollChannelOption.IP_TRANSPARENT, true);
            }
        }
        return b;
    }

    private Bootstrap udpListener(EventLoop loop, ListenerKind kind, InetSocketAddress address) {
        Bootstrap b = new Bootstrap().group(loop);
        if (kind == ListenerKind.TRANSPARENT) {
            b.channel(engine.transport.datagramChannel()); // dual-stack: TPROXY hands it both families
        } else {
            // An IPv4 frontend gets an IPv4 socket: no mapped addresses through the kernel and Netty per datagram.
            b.channelFactory(engine.transport.datagramChannel(address.getAddress() instanceof Inet4Address));
        }
        b.option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.AUTO_CLOSE, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.datagramAllocator())
                .handler(udpHandlers.get(kind));
        if (engine.transport.epoll()) {
            b.option(EpollChannelOption.SO_REUSEPORT, true);
            if (kind == ListenerKind.TRANSPARENT) {
                b.option(EpollChannelOption.IP_TRANSPARENT, true).option(EpollChannelOption.IP_RECVORIGDSTADDR, true);
            }
        }
        return b;
    }
}
