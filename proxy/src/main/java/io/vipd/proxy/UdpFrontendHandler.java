package io.vipd.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.vipd.lb.Action;
import io.vipd.lb.Backend;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client datagrams on a UDP listener: forwards each to its flow's backend, creating the flow on the first
 * datagram. Datagrams for no frontend, a REJECT or DROP route, a source outside loadBalancerSourceRanges, or
 * a full flow table are dropped (vipd sends no ICMP of its own), each counted and logged by reason
 * ({@link UnroutableDatagrams}). One instance per listener kind.
 */
@ChannelHandler.Sharable
final class UdpFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpFrontendHandler.class);

    private final Engine engine;
    private final ServiceRuntimes services;
    private final EventLoops loops;
    private final ListenerKind kind;
    private final UnroutableDatagrams unroutable;

    UdpFrontendHandler(
            Engine engine,
            ServiceRuntimes services,
            EventLoops loops,
            ListenerKind kind,
            UnroutableDatagrams unroutable) {
        this.engine = engine;
        this.services = services;
        this.loops = loops;
        this.kind = kind;
        this.unroutable = unroutable;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        InetSocketAddress client = packet.sender();
        InetSocketAddress frontend;
        if (kind != ListenerKind.TRANSPARENT) {
            frontend = UdpFlowTable.frontendOf(ctx.channel());
        } else if (packet.recipient() != null) {
            frontend = packet.recipient();
        } else {
            // Netty asks the kernel for IPv4 original destinations only; IPv6 frontends have their own sockets.
            unroutable.drop(UnroutableDatagrams.Reason.UNKNOWN_DESTINATION, client, null);
            packet.release();
            return;
        }
        LoopState loop = loops.of(ctx.channel().eventLoop());
        UdpFlowKey key = new UdpFlowKey(client, frontend);
        UdpFlow flow = loop.udp.get(key);
        if (flow == null) {
            flow = newFlow(ctx, key, loop);
            if (flow == null) {
                packet.release();
                return;
            }
        }
        flow.send(packet.content(), System.nanoTime());
    }

    private UdpFlow newFlow(ChannelHandlerContext ctx, UdpFlowKey key, LoopState loop) {
        FrontendEntry fe = engine.resolve(Protocol.UDP, kind, key.frontend());
        InetSocketAddress client = key.client();
        if (fe == null) {
            unroutable.drop(UnroutableDatagrams.Reason.NO_FRONTEND, client, key.frontend());
            return null;
        }
        ServicePortEntry entry = fe.entry();
        ServiceRuntime service = services.service(entry.name());
        if (!entry.sourceAllowed(fe.type(), client.getAddress())) {
            service.dropped.increment();
            unroutable.drop(UnroutableDatagrams.Reason.SOURCE_NOT_ALLOWED, client, key.frontend());
            return null;
        }
        boolean shortCircuit = engine.shortCircuit(fe, client.getAddress());
        Route route = engine.route(fe, shortCircuit, key.frontend().getAddress(), client.getAddress());
        if (route.action() != Action.FORWARD) {
            boolean drop = route.action() == Action.DROP;
            (drop ? service.dropped : service.rejected).increment();
            unroutable.drop(
                    drop ? UnroutableDatagrams.Reason.NO_LOCAL_ENDPOINT : UnroutableDatagrams.Reason.NO_ENDPOINT,
                    client,
                    key.frontend());
            return null;
        }
        int[] choice = new int[1];
        int n = engine.choose(entry, route, service, client, key.frontend(), Protocol.UDP, loop.scratch, choice);
        if (n == Engine.REFUSED_BY_POLICY) {
            service.refusedByPolicy.increment();
            unroutable.drop(UnroutableDatagrams.Reason.REFUSED_BY_POLICY, client, key.frontend());
            return null;
        }
        if (n == 0) {
            service.rejected.increment();
            unroutable.drop(UnroutableDatagrams.Reason.NO_BACKEND, client, key.frontend());
            return null;
        }
        Backend backend = route.backends().get(choice[0]);
        boolean keepClient =
                engine.transparentEgress(fe.type(), entry, shortCircuit, client.getAddress(), backend.ip());
        UdpFlow flow = loop.udp.create(
                key,
                service,
                backend,
                ctx.channel(),
                kind != ListenerKind.TRANSPARENT,
                ctx.channel().eventLoop(),
                keepClient);
        if (flow == null) {
            unroutable.drop(UnroutableDatagrams.Reason.FLOW_TABLE_FULL, client, key.frontend());
        } else {
            engine.recordAffinity(entry, client, flow.backend.key);
        }
        return flow;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.atDebug()
                .addKeyValue("listener", String.valueOf(ctx.channel().localAddress()))
                .addKeyValue("reason", String.valueOf(cause))
                .log("UDP listener error");
    }
}
