package io.vipd.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.vipd.lb.BackendSet;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects a client's relay to the first of its backend candidates that answers, in preference order: a failed
 * attempt counts against that backend (health, metrics) and the next candidate is tried, up to the configured
 * number of attempts; when none answers, the client is reset. Knows nothing of relaying bytes: the subclass
 * ({@link TcpRelay}) is told the outcome. A superclass rather than a field of the relay, so that a connection
 * costs no extra object. Touched by the client's event loop only.
 */
abstract class BackendConnector implements ChannelFutureListener {
    private static final Logger log = LoggerFactory.getLogger(BackendConnector.class);

    final Engine engine;
    final ProxyMeters meters;
    final Channel client;
    final ServiceRuntime service;
    final ServicePortEntry entry;
    private final BackendDialer dialer;
    private final FrontendType frontendType;
    private final boolean shortCircuit;
    private final BackendSet backends;
    private final int[] candidates;
    private final int candidateCount;
    private int attempt;
    /** The backend connected to, or being tried. */
    BackendRuntime current;

    private Channel connecting;
    private long connectStart;

    BackendConnector(
            Engine engine,
            ProxyMeters meters,
            BackendDialer dialer,
            Channel client,
            ServiceRuntime service,
            FrontendType frontendType,
            boolean shortCircuit,
            ServicePortEntry entry,
            Route route,
            int[] candidates,
            int candidateCount) {
        this.engine = engine;
        this.meters = meters;
        this.dialer = dialer;
        this.client = client;
        this.service = service;
        this.frontendType = frontendType;
        this.shortCircuit = shortCircuit;
        this.entry = entry;
        this.backends = route.backends();
        this.candidates = candidates;
        this.candidateCount = candidateCount;
    }

    /** The handler every attempt's channel gets. */
    abstract ChannelHandler backendHandler();

    /** Whether the client has closed, so a connect that completes now is no longer wanted. */
    abstract boolean clientClosed();

    /** An attempt completed after the client closed; its channel is closed. */
    abstract void connectAbandoned();

    /** A backend answered: {@code backend} is connected, not reading yet, and {@link #current} is its runtime. */
    abstract void connected(Channel backend);

    /** Whether an attempt is under way. */
    public final boolean connecting() {
        return connecting != null;
    }

    /** Closes the attempt under way, if any; its outcome then arrives as a failure or an abandoned connect. */
    final void cancelConnect() {
        if (connecting != null) {
            connecting.close();
        }
    }

    /** Starts the next attempt; the caller knows one is left. */
    final void connectNext() {
        int index = candidates[attempt++];
        current = service.backend(backends.key(index));
        InetSocketAddress address = backends.get(index).socketAddress();
        connectStart = System.nanoTime();
        InetAddress clientIp = ((InetSocketAddress) client.remoteAddress()).getAddress();
        InetAddress transparentSource =
                engine.transparentEgress(frontendType, entry, shortCircuit, clientIp, address.getAddress())
                        ? clientIp
                        : null;
        ChannelFuture f = dialer.connect(client.eventLoop(), address, transparentSource, backendHandler());
        connecting = f.channel();
        f.addListener(this);
    }

    /** The outcome of one connect attempt. */
    @Override
    public final void operationComplete(ChannelFuture f) {
        Channel ch = f.channel();
        connecting = null;
        if (clientClosed()) {
            // The client left while we were connecting: not the backend's fault.
            ch.close();
            connectAbandoned();
            return;
        }
        if (f.isSuccess()) {
            service.connectDuration.record(System.nanoTime() - connectStart, TimeUnit.NANOSECONDS);
            current.connected();
            engine.recordAffinity(entry, (InetSocketAddress) client.remoteAddress(), current.key);
            connected(ch);
            return;
        }
        current.connectFailed();
        log.atDebug()
                .addKeyValue("service", service.name)
                .addKeyValue("backend", current.key)
                .addKeyValue("reason", String.valueOf(f.cause()))
                .log("backend connect failed");
        if (attempt < candidateCount) {
            meters.retries.increment();
            connectNext();
        } else {
            service.allFailed.increment();
            TcpShutdown.reset(client);
        }
    }
}
