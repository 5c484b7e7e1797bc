package io.vipd.proxy;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

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
import java.util.concurrent.ScheduledFuture;
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
    /** The client as the relay reports it: the socket's peer, or the address a PROXY header gave. */
    final InetSocketAddress clientAddress;
    /** The destination the client connected to, likewise (the PROXY header's when one was read). */
    final InetSocketAddress frontendAddress;

    private final BackendDialer dialer;
    private final FrontendType frontendType;
    private final boolean shortCircuit;
    private final BackendSet backends;
    private final int[] candidates;
    private final int candidateCount;
    /** maxConnectionsPerBackend, or 0. */
    private final int perBackendLimit;
    /** The next candidate to look at. */
    private int next;
    /** Connect attempts made. */
    int attempts;
    /** The backend connected to, or being tried. */
    BackendRuntime current;
    /** How the connection ends, as the access log reports it; set by whoever ends it, OK otherwise. */
    AccessLogResult result = AccessLogResult.OK;

    private Channel connecting;
    private long connectStart;
    /** Every candidate backend is full and this waits for a slot (or the connect timeout). */
    private ScheduledFuture<?> slotWait;

    BackendConnector(
            Engine engine,
            ProxyMeters meters,
            BackendDialer dialer,
            Channel client,
            InetSocketAddress clientAddress,
            InetSocketAddress frontendAddress,
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
        this.clientAddress = clientAddress;
        this.frontendAddress = frontendAddress;
        this.service = service;
        this.frontendType = frontendType;
        this.shortCircuit = shortCircuit;
        this.entry = entry;
        this.backends = route.backends();
        this.candidates = candidates;
        this.candidateCount = candidateCount;
        this.perBackendLimit = entry.edge().maxConnectionsPerBackend();
    }

    /** The handler every attempt's channel gets. */
    abstract ChannelHandler backendHandler();

    /** Whether the client has closed, so a connect that completes now is no longer wanted. */
    abstract boolean clientClosed();

    /** An attempt completed after the client closed; its channel is closed. */
    abstract void connectAbandoned();

    /** A backend answered: {@code backend} is connected, not reading yet, and {@link #current} is its runtime. */
    abstract void connected(Channel backend);

    /** Whether an attempt is under way, or a wait for a backend slot. */
    public final boolean connecting() {
        return connecting != null || slotWait != null;
    }

    /**
     * Closes the attempt under way, if any (its outcome then arrives as a failure or an abandoned connect), or
     * stops waiting for a backend slot.
     */
    final void cancelConnect() {
        if (connecting != null) {
            connecting.close();
        }
        if (slotWait != null) {
            slotWait.cancel(false);
            slotWait = null;
            service.stopWaitingForBackendSlot(this);
        }
    }

    /** Whether the backend connection counts against maxConnectionsPerBackend, so its end frees a slot. */
    final boolean limitedPerBackend() {
        return perBackendLimit > 0;
    }

    /**
     * Starts the next attempt; the caller knows a candidate is left. Under maxConnectionsPerBackend, full
     * backends are skipped for the next in preference order, and when every one left is full the connection
     * waits for a slot.
     */
    final void connectNext() {
        int index;
        if (perBackendLimit == 0) {
            index = candidates[next++];
            current = service.backend(backends.key(index));
        } else {
            index = -1;
            while (next < candidateCount) {
                int i = candidates[next++];
                BackendRuntime b = service.backend(backends.key(i));
                if (b.tryReserve(perBackendLimit)) {
                    index = i;
                    current = b;
                    break;
                }
            }
            if (index < 0) {
                waitForSlot();
                return;
            }
        }
        attempts++;
        InetSocketAddress address = backends.socketAddress(index);
        connectStart = System.nanoTime();
        InetAddress clientIp = clientAddress.getAddress();
        InetAddress transparentSource =
                engine.transparentEgress(frontendType, entry, shortCircuit, clientIp, address.getAddress())
                        ? clientIp
                        : null;
        ChannelFuture f = dialer.connect(client.eventLoop(), address, transparentSource, backendHandler());
        connecting = f.channel();
        f.addListener(this);
    }

    /** Every candidate is full: wait up to the connect timeout for a connection to one of them to end. */
    private void waitForSlot() {
        next = 0;
        current = null;
        slotWait = client.eventLoop().schedule(this::slotWaitTimedOut, engine.connectTimeoutMillis, MILLISECONDS);
        service.waitForBackendSlot(this);
        // A slot freed on another loop between the reservations above and joining the queue found no waiter to
        // wake: look again, now that this connection is queued, so that wake-up is not lost.
        for (int i = 0; i < candidateCount; i++) {
            if (service.backend(backends.key(candidates[i])).hasRoom(perBackendLimit)) {
                service.backendSlotFreed();
                return;
            }
        }
    }

    private void slotWaitTimedOut() {
        if (slotWait == null) {
            return;
        }
        slotWait = null;
        service.stopWaitingForBackendSlot(this);
        log.atDebug().addKeyValue("service", service.name).log("every backend is at maxConnectionsPerBackend");
        result = AccessLogResult.OVER_LIMIT;
        service.allFailed.increment();
        TcpShutdown.reset(client);
    }

    /** Some backend of the service freed a slot (on this connection's loop): try the candidates again. */
    final void slotFreed() {
        if (slotWait == null || clientClosed()) {
            service.backendSlotFreed(); // not waiting any more: the next waiter may use it
            return;
        }
        slotWait.cancel(false);
        slotWait = null;
        connectNext();
    }

    /** The outcome of one connect attempt. */
    @Override
    public final void operationComplete(ChannelFuture f) {
        Channel ch = f.channel();
        connecting = null;
        if (clientClosed()) {
            // The client left while we were connecting: not the backend's fault.
            if (perBackendLimit > 0) {
                current.disconnected();
                service.backendSlotFreed();
            }
            ch.close();
            connectAbandoned();
            return;
        }
        if (f.isSuccess()) {
            service.connectDuration.record(System.nanoTime() - connectStart, TimeUnit.NANOSECONDS);
            current.connected(perBackendLimit > 0);
            engine.recordAffinity(entry, clientAddress, current.key);
            connected(ch);
            return;
        }
        if (perBackendLimit > 0) {
            current.disconnected();
            service.backendSlotFreed();
        }
        current.connectFailed();
        log.atDebug()
                .addKeyValue("service", service.name)
                .addKeyValue("backend", current.key)
                .addKeyValue("reason", String.valueOf(f.cause()))
                .log("backend connect failed");
        if (attempts < engine.config.connectAttempts() && next < candidateCount) {
            meters.retries.increment();
            connectNext();
        } else {
            result = AccessLogResult.CONNECT_FAILED;
            service.allFailed.increment();
            TcpShutdown.reset(client);
        }
    }
}
