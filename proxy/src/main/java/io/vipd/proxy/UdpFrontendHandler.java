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
 * a full flow table are dropped (vipd sends no ICMP of its own). One instance per listener kind.
 */
@ChannelHandler.Sharable
final class UdpFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpFrontendHandler.class);

    private final Engine engine;
    private final ServiceRuntimes services;
    private final EventLoops loops;
    private final ListenerKind kind;

    UdpFrontendHandler(Engine engine, ServiceRuntimes services, EventLoops loops, ListenerKind kind) {
        this.engine = engine;
        this.services = services;
        this.loops = loops;
        this.kind = kind;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        InetSocketAddress client = packet.sender();
        InetSocketAddress frontend = kind == ListenerKind.TRANSPARENT && packet.recipient() != null
                ? packet.recipient()
                : UdpFlowTable.frontendOf(ctx.channel());
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
        if (fe == null) {
            return null;
        }
        ServicePortEntry entry = fe.entry();
        ServiceRuntime service = services.service(entry.name());
        InetSocketAddress client = key.client();
        if (!entry.sourceAllowed(fe.type(), client.getAddress())) {
            service.dropped.increment();
            return null;
        }
        boolean shortCircuit = engine.shortCircuit(fe, client.getAddress());
        Route route = engine.route(fe, shortCircuit, key.frontend().getAddress(), client.getAddress());
        if (route.action() != Action.FORWARD) {
            (route.action() == Action.DROP ? service.dropped : service.rejected).increment();
            return null;
        }
        int[] choice = new int[1];
        int n = engine.choose(entry, route, service, client, key.frontend(), Protocol.UDP, loop.scratch, choice);
        if (n == Engine.REFUSED_BY_POLICY) {
            service.refusedByPolicy.increment();
            return null;
        }
        if (n == 0) {
            service.rejected.increment();
            return null;
        }
        Backend backend = route.backends().get(choice[0]);
        boolean keepClient =
                engine.transparentEgress(fe.type(), entry, shortCircuit, client.getAddress(), backend.ip());
        UdpFlow flow = loop.udp.create(
                key, service, backend, ctx.channel(), ctx.channel().eventLoop(), keepClient);
        if (flow != null) {
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
