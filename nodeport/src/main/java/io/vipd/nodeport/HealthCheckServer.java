package io.vipd.nodeport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vipd.handover.HeldListeners;
import io.vipd.handover.InheritedListeners;
import io.vipd.handover.ServerSockets;
import io.vipd.lb.Addresses;
import io.vipd.lb.NamespacedName;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The healthCheckNodePort servers: one HTTP listener per service with a healthCheckNodePort, on each
 * selected node address (or the wildcard address), answering any path with kube-proxy's status and body
 * (kube-proxy-semantics.md §1.7). {@link #syncServices} opens and closes listeners; {@link #syncEndpoints}
 * updates the counts they report. Sync methods are confined to the sync thread; requests are answered on
 * this server's own event loop, reading the counts from a concurrent map.
 */
public final class HealthCheckServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthCheckServer.class);

    /** Told when a listener cannot bind, so the caller can emit kube-proxy's FailedToStartServiceHealthcheck event. */
    @FunctionalInterface
    public interface BindFailureListener {
        void onBindFailure(NamespacedName service, InetSocketAddress address, Throwable cause);
    }

    private List<InetAddress> addresses;
    private final BooleanSupplier proxyHealthy;
    private final BindFailureListener bindFailures;
    private final EventLoopGroup group;
    private final Map<NamespacedName, Integer> ports = new HashMap<>();
    private HeldListeners held = new HeldListeners();
    private InheritedListeners inherited = InheritedListeners.none();
    private final Map<NamespacedName, List<Channel>> listeners = new HashMap<>();
    private final ConcurrentHashMap<NamespacedName, Integer> localEndpoints = new ConcurrentHashMap<>();

    /**
     * @param addresses    where to listen; empty means the wildcard address (every node address matches)
     * @param proxyHealthy kube-proxy's {@code IsHealthy()}: the /healthz state without node eligibility
     * @param bindFailures told about each listener that cannot bind (the listener is skipped)
     */
    public HealthCheckServer(
            List<InetAddress> addresses, BooleanSupplier proxyHealthy, BindFailureListener bindFailures) {
        this.addresses = List.copyOf(addresses);
        this.proxyHealthy = Objects.requireNonNull(proxyHealthy);
        this.bindFailures = Objects.requireNonNull(bindFailures);
        this.group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("vipd-healthcheck", true), ServerSockets.ioHandlerFactory());
    }

    /** Adopt sockets inherited from the previous vipd and record ours for the next; call before the first sync. */
    public synchronized void setHandover(HeldListeners held, InheritedListeners inherited) {
        this.held = held;
        this.inherited = inherited;
    }

    /**
     * Makes the listeners match {@code healthCheckNodePorts} (service to port): opens new ones, closes those
     * of services that went away or changed port, keeps the rest open.
     */
    public synchronized void syncServices(Map<NamespacedName, Integer> healthCheckNodePorts) {
        for (NamespacedName svc : new ArrayList<>(ports.keySet())) {
            Integer want = healthCheckNodePorts.get(svc);
            if (!ports.get(svc).equals(want)) {
                closeListeners(svc);
            }
        }
        for (Map.Entry<NamespacedName, Integer> e : healthCheckNodePorts.entrySet()) {
            if (!ports.containsKey(e.getKey())) {
                openListeners(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Listens on other node addresses from now on (the node's addresses changed): every service's listeners
     * are reopened on them.
     */
    public synchronized void setAddresses(List<InetAddress> next) {
        if (addresses.equals(next)) {
            return;
        }
        Map<NamespacedName, Integer> open = new java.util.HashMap<>(ports);
        syncServices(Map.of());
        addresses = List.copyOf(next);
        syncServices(open);
    }

    /**
     * Sets each service's local ready endpoint count; services absent from {@code counts} report 0, as
     * kube-proxy's {@code SyncEndpoints} does.
     */
    public void syncEndpoints(Map<NamespacedName, Integer> counts) {
        localEndpoints.keySet().removeIf(k -> !counts.containsKey(k));
        localEndpoints.putAll(counts);
    }

    /** The answer a request for {@code service} gets now. */
    public ServiceHealth health(NamespacedName service) {
        return new ServiceHealth(service, localEndpoints.getOrDefault(service, 0), proxyHealthy.getAsBoolean());
    }

    /** The addresses a service's listeners are bound to now (for status and tests). */
    public synchronized List<InetSocketAddress> boundAddresses(NamespacedName service) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel ch : listeners.getOrDefault(service, List.of())) {
            out.add((InetSocketAddress) ch.localAddress());
        }
        return out;
    }

    private void openListeners(NamespacedName svc, int port) {
        ports.put(svc, port);
        List<Channel> opened = new ArrayList<>();
        List<InetSocketAddress> targets = new ArrayList<>();
        if (addresses.isEmpty()) {
            targets.add(new InetSocketAddress(port));
        } else {
            addresses.forEach(a -> targets.add(new InetSocketAddress(a, port)));
        }
        for (InetSocketAddress target : targets) {
            try {
                Channel ch = ServerSockets.bindOrAdopt(bootstrap(svc), target, held, inherited);
                opened.add(ch);
                log.atInfo()
                        .addKeyValue("service", svc.toString())
                        .addKeyValue("address", Addresses.key(target))
                        .log("Opened healthcheck service");
            } catch (Exception e) {
                log.atWarn()
                        .addKeyValue("service", svc.toString())
                        .addKeyValue("address", Addresses.key(target))
                        .addKeyValue("error", e.toString())
                        .log("Failed to start healthcheck");
                bindFailures.onBindFailure(svc, target, e);
            }
        }
        listeners.put(svc, opened);
    }

    private void closeListeners(NamespacedName svc) {
        ports.remove(svc);
        for (Channel ch : listeners.getOrDefault(svc, List.of())) {
            ch.close().syncUninterruptibly();
        }
        listeners.remove(svc);
        log.atInfo().addKeyValue("service", svc.toString()).log("Closed healthcheck service");
    }

    private ServerBootstrap bootstrap(NamespacedName svc) {
        return new ServerBootstrap().group(group).childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192), new Handler(svc));
            }
        });
    }

    @Override
    public synchronized void close() {
        for (NamespacedName svc : new ArrayList<>(ports.keySet())) {
            closeListeners(svc);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers every request on one service's listener. */
    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final NamespacedName service;

        Handler(NamespacedName service) {
            this.service = service;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            ServiceHealth h = health(service);
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(h.status()),
                    Unpooled.wrappedBuffer(h.bodyBytes()));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .set("X-Content-Type-Options", "nosniff")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive((HttpRequest) request);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
