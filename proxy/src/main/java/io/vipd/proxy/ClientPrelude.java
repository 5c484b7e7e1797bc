package io.vipd.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.vipd.lb.Addresses;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.ServerNameRoutes;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what a client sends before the bytes to relay, for a frontend that needs it: a PROXY protocol header
 * (v1 or v2, Netty's {@link HAProxyMessageDecoder}) from an upstream balancer, whose source becomes the client's
 * address, and/or the TLS ClientHello's server name ({@link AbstractSniHandler}: parsed without decrypting,
 * across as many TCP segments and TLS records as it takes), which picks one of the services sharing the address.
 * The ClientHello's bytes stay buffered and are relayed as they came. A connection without a valid header, or
 * that sends neither in {@value #TIMEOUT_MILLIS} ms, is reset. Added to the pipeline only for such frontends;
 * removes itself once done. Touched by the connection's loop only.
 */
final class ClientPrelude extends ChannelInboundHandlerAdapter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ClientPrelude.class);
    /** How long a client has to send its PROXY header and ClientHello. */
    static final long TIMEOUT_MILLIS = 10_000;

    private final TcpAcceptor acceptor;
    private final Channel ch;
    private final FrontendEntry fe;
    private final ConnectionGate gate;
    private final boolean readsHeader;
    private final long startMillis = System.currentTimeMillis();
    private InetSocketAddress client;
    private InetSocketAddress frontend;
    private boolean done;
    private ScheduledFuture<?> timeout;

    ClientPrelude(
            TcpAcceptor acceptor,
            Channel ch,
            FrontendEntry fe,
            InetSocketAddress client,
            InetSocketAddress frontend,
            ConnectionGate gate) {
        this.acceptor = acceptor;
        this.ch = ch;
        this.fe = fe;
        this.client = client;
        this.frontend = frontend;
        this.gate = gate;
        this.readsHeader = fe.entry().edge().acceptProxyProtocol();
    }

    void start() {
        ChannelPipeline p = ch.pipeline();
        if (readsHeader) {
            p.addLast(new HAProxyMessageDecoder());
        }
        if (fe.serverNames() != null) {
            p.addLast(new ServerNameReader(this, fe.serverNames()));
        }
        p.addLast(this);
        timeout = ch.eventLoop().schedule(this, TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        ch.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            useHeader((HAProxyMessage) msg);
        } catch (IllegalArgumentException e) {
            fail("invalid PROXY header addresses: " + e.getMessage(), AccessLogResult.REJECTED);
            return;
        } finally {
            ReferenceCountUtil.release(msg);
        }
        if (fe.serverNames() == null) {
            proceed(fe);
        }
    }

    /**
     * A PROXY command over TCP gives the client and the address it connected to; LOCAL (a health check of the
     * balancer itself) and UNKNOWN keep the connection's own addresses, as the protocol says.
     */
    private void useHeader(HAProxyMessage m) {
        HAProxyProxiedProtocol p = m.proxiedProtocol();
        if (m.command() == HAProxyCommand.PROXY
                && (p == HAProxyProxiedProtocol.TCP4 || p == HAProxyProxiedProtocol.TCP6)) {
            client = new InetSocketAddress(Addresses.parseIp(m.sourceAddress()), m.sourcePort());
            frontend = new InetSocketAddress(Addresses.parseIp(m.destinationAddress()), m.destinationPort());
        }
    }

    /** The ClientHello named {@code serverName}, which picks {@code chosen} (null: no service takes it). */
    void serverNameRead(String serverName, FrontendEntry chosen) {
        if (done) {
            return;
        }
        if (chosen == null) {
            log.atDebug()
                    .addKeyValue("frontend", frontend)
                    .addKeyValue("server_name", serverName)
                    .log("no service takes this TLS server name");
            fail(null, AccessLogResult.NO_BACKEND);
            return;
        }
        proceed(chosen);
    }

    private void proceed(FrontendEntry chosen) {
        done = true;
        timeout.cancel(false);
        ch.pipeline().remove(this);
        acceptor.afterPrelude(ch, chosen, client, frontend, gate, fe.serverNames() != null, startMillis);
    }

    private void fail(String reason, AccessLogResult result) {
        if (done) {
            return;
        }
        done = true;
        timeout.cancel(false);
        if (reason != null) {
            log.atDebug()
                    .addKeyValue("frontend", frontend)
                    .addKeyValue("reason", reason)
                    .log("client connection refused before relaying");
        }
        TcpShutdown.reset(ch);
        acceptor.refused(ch, fe, client, gate, result, startMillis);
    }

    /** The timeout. */
    @Override
    public void run() {
        fail("no PROXY header or ClientHello within " + TIMEOUT_MILLIS + " ms", AccessLogResult.REJECTED);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(String.valueOf(cause), AccessLogResult.REJECTED);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail("the client closed", AccessLogResult.RESET);
    }

    /** Reads the ClientHello's server name and asks the routes; lets the ClientHello through untouched. */
    private static final class ServerNameReader extends AbstractSniHandler<FrontendEntry> {
        private final ClientPrelude prelude;
        private final ServerNameRoutes routes;

        ServerNameReader(ClientPrelude prelude, ServerNameRoutes routes) {
            super(0L); // the prelude's timeout covers it
            this.prelude = prelude;
            this.routes = routes;
        }

        @Override
        protected Future<FrontendEntry> lookup(ChannelHandlerContext ctx, String hostname) {
            return ctx.executor().newSucceededFuture(routes.select(hostname));
        }

        @Override
        protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<FrontendEntry> future) {
            prelude.serverNameRead(hostname, future.getNow());
            // Removing this decoder passes the buffered ClientHello on, to the relay now behind it.
            if (!ctx.isRemoved()) {
                ctx.pipeline().remove(this);
            }
        }
    }
}
