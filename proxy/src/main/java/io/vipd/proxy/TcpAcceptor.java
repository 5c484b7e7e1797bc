package io.vipd.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.vipd.lb.Action;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Decides what happens to each accepted TCP connection: look its frontend up by the accepted socket's local
 * address, apply source ranges and the route's action, pick the backend candidates and start a
 * {@link TcpRelay}. One instance per listener kind, shared by every listener of that kind.
 *
 * <p>REJECT (and "no backend", and no backend the client's egress NetworkPolicy allows) resets the connection at once: the client's connect succeeds, then its first
 * read or write fails with "connection reset", with no data. DROP (and a source outside
 * loadBalancerSourceRanges) cannot be a real drop once the kernel has completed the handshake: the socket is
 * held unread for the connect timeout and then reset, so the client sees a connection that never answers
 * and then a reset.
 */
@ChannelHandler.Sharable
final class TcpAcceptor extends ChannelHandlerAdapter {
    private final Engine engine;
    private final ServiceRuntimes services;
    private final ProxyMeters meters;
    private final EventLoops loops;
    private final ListenerKind kind;

    TcpAcceptor(Engine engine, ServiceRuntimes services, ProxyMeters meters, EventLoops loops, ListenerKind kind) {
        this.engine = engine;
        this.services = services;
        this.meters = meters;
        this.loops = loops;
        this.kind = kind;
    }

    /** Runs once the child is registered on its loop; replaces itself with the relay's handlers. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        initChannel(ctx.channel());
    }

    private void initChannel(Channel ch) {
        InetSocketAddress local = (InetSocketAddress) ch.localAddress();
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        FrontendEntry fe = local == null || remote == null ? null : engine.resolve(Protocol.TCP, kind, local);
        if (fe == null) {
            // The frontend left the table between the SYN and now.
            TcpShutdown.reset(ch);
            return;
        }
        ServicePortEntry entry = fe.entry();
        ServiceRuntime service = services.service(entry.name());
        if (!entry.sourceAllowed(fe.type(), remote.getAddress())) {
            service.dropped.increment();
            hold(ch);
            return;
        }
        boolean shortCircuit = engine.shortCircuit(fe, remote.getAddress());
        Route route = engine.route(fe, shortCircuit, local.getAddress(), remote.getAddress());
        if (route.action() == Action.DROP) {
            service.dropped.increment();
            hold(ch);
            return;
        }
        if (route.action() != Action.FORWARD) {
            service.rejected.increment();
            TcpShutdown.reset(ch);
            return;
        }
        LoopState loop = loops.of(ch.eventLoop());
        int[] candidates = new int[engine.config.connectAttempts()];
        int n = engine.choose(entry, route, service, remote, local, Protocol.TCP, loop.scratch, candidates);
        if (n == Engine.REFUSED_BY_POLICY) {
            service.refusedByPolicy.increment();
            TcpShutdown.reset(ch);
            return;
        }
        if (n == 0) {
            service.rejected.increment();
            TcpShutdown.reset(ch);
            return;
        }
        new TcpRelay(
                        engine,
                        meters,
                        engine.backendDialer,
                        loop.relays,
                        ch,
                        service,
                        fe.type(),
                        shortCircuit,
                        entry,
                        route,
                        candidates,
                        n)
                .start();
    }

    private void hold(Channel ch) {
        ch.eventLoop().schedule(() -> TcpShutdown.reset(ch), engine.connectTimeoutMillis, TimeUnit.MILLISECONDS);
    }
}
