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
        if (fe.serverNames() == null && !fe.entry().edge().any()) {
            serve(ch, fe, remote, local, null, 0);
            return;
        }
        int max = fe.entry().edge().maxConnections();
        if (fe.serverNames() == null && max > 0) {
            // The service is known before reading anything: over its limit, the client waits unread.
            ConnectionGate gate = services.service(fe.entry().name()).gate;
            if (!gate.tryAdmit(max)) {
                gate.park(ch, () -> readPrelude(ch, fe, remote, local, gate));
                return;
            }
            readPrelude(ch, fe, remote, local, gate);
            return;
        }
        readPrelude(ch, fe, remote, local, null);
    }

    /** Reads the PROXY header and/or the ClientHello first if the frontend needs them ({@link ClientPrelude}). */
    private void readPrelude(
            Channel ch, FrontendEntry fe, InetSocketAddress client, InetSocketAddress frontend, ConnectionGate gate) {
        if (fe.entry().edge().acceptProxyProtocol() || fe.serverNames() != null) {
            new ClientPrelude(this, ch, fe, client, frontend, gate).start();
        } else {
            serve(ch, fe, client, frontend, gate, 0);
        }
    }

    /**
     * The prelude was read: {@code fe} is the service's (picked by server name when {@code byName}), and the
     * addresses are the PROXY header's if there was one. A service picked by name counts its maxConnections
     * only now, and a connection over it is reset (the listener serves other services too, so it keeps
     * accepting).
     */
    void afterPrelude(
            Channel ch,
            FrontendEntry fe,
            InetSocketAddress client,
            InetSocketAddress frontend,
            ConnectionGate gate,
            boolean byName,
            long startMillis) {
        int max = fe.entry().edge().maxConnections();
        if (byName && max > 0) {
            ConnectionGate named = services.service(fe.entry().name()).gate;
            if (!named.tryAdmit(max)) {
                services.service(fe.entry().name()).rejected.increment();
                TcpShutdown.reset(ch);
                refused(ch, fe, client, gate, AccessLogResult.OVER_LIMIT, startMillis);
                return;
            }
            gate = named;
        }
        serve(ch, fe, client, frontend, gate, startMillis);
    }

    /**
     * Routes and relays a connection from {@code client} to {@code frontend} (the socket's addresses, or a
     * PROXY header's).
     *
     * @param gate        the maxConnections gate that admitted it, or null
     * @param startMillis when a prelude started reading, for the access log; 0 when it started now
     */
    private void serve(
            Channel ch,
            FrontendEntry fe,
            InetSocketAddress client,
            InetSocketAddress frontend,
            ConnectionGate gate,
            long startMillis) {
        ServicePortEntry entry = fe.entry();
        ServiceRuntime service = services.service(entry.name());
        if (!entry.sourceAllowed(fe.type(), client.getAddress())) {
            service.dropped.increment();
            hold(ch);
            refused(ch, fe, client, gate, AccessLogResult.REJECTED, startMillis);
            return;
        }
        boolean shortCircuit = engine.shortCircuit(fe, client.getAddress());
        Route route = engine.route(fe, shortCircuit, frontend.getAddress(), client.getAddress());
        if (route.action() == Action.DROP) {
            service.dropped.increment();
            hold(ch);
            refused(ch, fe, client, gate, AccessLogResult.REJECTED, startMillis);
            return;
        }
        if (route.action() != Action.FORWARD) {
            service.rejected.increment();
            TcpShutdown.reset(ch);
            refused(ch, fe, client, gate, AccessLogResult.NO_BACKEND, startMillis);
            return;
        }
        LoopState loop = loops.of(ch.eventLoop());
        // Under maxConnectionsPerBackend full backends are skipped without an attempt: look further.
        int[] candidates = new int
                [engine.config.connectAttempts()
                        + (entry.edge().maxConnectionsPerBackend() > 0 ? CandidateScratch.MAX_CANDIDATES : 0)];
        int n = engine.choose(entry, route, service, client, frontend, Protocol.TCP, loop.scratch, candidates);
        if (n == Engine.REFUSED_BY_POLICY) {
            service.refusedByPolicy.increment();
            TcpShutdown.reset(ch);
            refused(ch, fe, client, gate, AccessLogResult.REJECTED, startMillis);
            return;
        }
        if (n == 0) {
            service.rejected.increment();
            TcpShutdown.reset(ch);
            refused(ch, fe, client, gate, AccessLogResult.NO_BACKEND, startMillis);
            return;
        }
        new TcpRelay(
                        engine,
                        meters,
                        engine.backendDialer,
                        loop.relays,
                        ch,
                        client,
                        frontend,
                        gate,
                        service,
                        fe.type(),
                        shortCircuit,
                        entry,
                        route,
                        candidates,
                        n)
                .start(startMillis);
    }

    /**
     * A connection ended before a relay started: gives back its maxConnections slot and writes its access log
     * line.
     */
    void refused(
            Channel ch,
            FrontendEntry fe,
            InetSocketAddress client,
            ConnectionGate gate,
            AccessLogResult result,
            long startMillis) {
        if (gate != null) {
            gate.release();
        }
        AccessLog accessLog = engine.accessLog;
        if (accessLog != null) {
            long now = System.currentTimeMillis();
            long start = startMillis == 0 ? now : startMillis;
            accessLog.offer(new AccessLogEntry(
                    start,
                    now - start,
                    client,
                    (InetSocketAddress) ch.localAddress(),
                    fe.serverNames() != null ? "" : fe.entry().name().toString(),
                    "",
                    0,
                    0,
                    result,
                    0));
        }
    }

    private void hold(Channel ch) {
        ch.eventLoop().schedule(() -> TcpShutdown.reset(ch), engine.connectTimeoutMillis, TimeUnit.MILLISECONDS);
    }
}
