package io.vipd.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.vipd.lb.FrontendType;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection and its backend connection, both on the client's event loop, so every field is
 * touched by one thread only. Its superclass {@link BackendConnector} finds the backend; its two handlers,
 * {@link RelayClientSide} and {@link RelayBackendSide}, move the bytes and pass FINs and resets on. The relay
 * itself starts them, wires the backend in once it answers, counts the bytes, decides when a streaming
 * connection moves to splice ({@link SpliceHandOver}), and ends: on an abort (reset both), or once both sides
 * have closed.
 */
final class TcpRelay extends BackendConnector implements RelaySide.Owner, SpliceHandOver.Owner {
    private static final Logger log = LoggerFactory.getLogger(TcpRelay.class);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Under {@link SpliceMode#AUTO}: a read this large means the sender had this much queued, i.e. it streams. */
    private static final int BULK_READ_BYTES = 64 * 1024;
    /** Under {@link SpliceMode#AUTO}: this many bulk reads (either direction) switch the relay to splice. */
    private static final int BULK_READS_TO_SPLICE = 4;

    /** The relays of this relay's event loop, which it joins while it runs (for shutdown). */
    private final Set<TcpRelay> loopRelays;

    private final ProxyProtocol proxyProtocol;
    private final SpliceMode spliceMode;
    private final RelayClientSide clientSide;
    private final RelayBackendSide backendSide;
    private boolean aborted;
    private boolean finished;
    private long lastReport;
    private int bulkReads;
    /** Set while copying has stopped for a switch to splice, and for good once the switch is made. */
    private SpliceHandOver handOver;
    /** maxConnections: the gate that admitted this connection, released when it ends; null without a limit. */
    private final ConnectionGate gate;

    private long startNanos;
    private long startMillis;
    private long bytesIn;
    private long bytesOut;

    TcpRelay(
            Engine engine,
            ProxyMeters meters,
            BackendDialer dialer,
            Set<TcpRelay> loopRelays,
            Channel client,
            InetSocketAddress clientAddress,
            InetSocketAddress frontendAddress,
            ConnectionGate gate,
            ServiceRuntime service,
            FrontendType frontendType,
            boolean shortCircuit,
            ServicePortEntry entry,
            Route route,
            int[] candidates,
            int candidateCount) {
        super(
                engine,
                meters,
                dialer,
                client,
                clientAddress,
                frontendAddress,
                service,
                frontendType,
                shortCircuit,
                entry,
                route,
                candidates,
                candidateCount);
        this.loopRelays = loopRelays;
        this.gate = gate;
        this.proxyProtocol = entry.proxyProtocol();
        // Splice is epoll's: a client on an io_uring or NIO loop (and its backend, on the same loop) relays by buffers.
        this.spliceMode = client instanceof EpollSocketChannel ? engine.config.splice() : SpliceMode.OFF;
        this.clientSide = new RelayClientSide(this, client);
        this.backendSide = new RelayBackendSide(this);
        clientSide.peer = backendSide;
        backendSide.peer = clientSide;
    }

    /** @param acceptedMillis when a prelude started reading it (epoch ms), or 0 when it starts now */
    void start(long acceptedMillis) {
        startNanos = System.nanoTime();
        if (engine.accessLog != null) {
            long now = System.currentTimeMillis();
            startMillis = acceptedMillis == 0 ? now : acceptedMillis;
            startNanos -= TimeUnit.MILLISECONDS.toNanos(now - startMillis);
        }
        meters.activeConnections.incrementAndGet();
        service.active.incrementAndGet();
        loopRelays.add(this);
        if (!engine.config.idleTimeout().isZero()) {
            client.pipeline()
                    .addLast(new IdleStateHandler(
                            0, 0, engine.config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS));
        }
        client.pipeline().addLast(clientSide);
        connectNext();
    }

    @Override
    ChannelHandler backendHandler() {
        return backendSide;
    }

    @Override
    boolean clientClosed() {
        return clientSide.closed;
    }

    @Override
    void connectAbandoned() {
        maybeFinish();
    }

    @Override
    void connected(Channel backend) {
        backendSide.channel = backend;
        lastReport = System.nanoTime();
        if (proxyProtocol != ProxyProtocol.NONE) {
            backend.write(
                    ProxyProtocolHeader.encode(proxyProtocol, clientAddress, frontendAddress, backend.alloc()),
                    backend.voidPromise());
        }
        clientSide.writePendingToPeer();
        if (clientSide.inputDone) {
            TcpShutdown.finAfterWrites(backend);
        } else {
            backend.flush();
            if (spliceMode == SpliceMode.ON) {
                requestSplice();
                return;
            }
        }
        backend.config().setAutoRead(true);
        if (!clientSide.inputDone) {
            // Re-arming reads on a socket whose input is shut down fails in epoll_ctl (ENOENT).
            client.config().setAutoRead(true);
        }
    }

    /** Closes both sides with a reset: an error, an idle timeout or a forced shutdown. */
    @Override
    public void abort() {
        if (result == AccessLogResult.OK) {
            result = AccessLogResult.RESET;
        }
        aborted = true;
        if (handOver != null && handOver.splicing()) {
            handOver.resetSplice();
            return;
        }
        cancelConnect();
        if (backendSide.connected()) {
            TcpShutdown.reset(backendSide.channel);
        }
        TcpShutdown.reset(client);
        if (handOver != null) {
            // The channels may be deregistered already, and then their close fires no channelInactive.
            spliceEnded();
        }
    }

    /** Stops copying and hands both sockets to a {@link SpliceRelay} once nothing is left in Netty's buffers. */
    private void requestSplice() {
        handOver = new SpliceHandOver(
                this, clientSide, backendSide, engine.config.idleTimeout().toNanos(), meters.spliced);
        handOver.start();
    }

    @Override
    public void bytesRead(int bytes) {
        if (bytes >= BULK_READ_BYTES && spliceMode == SpliceMode.AUTO) {
            bulkReads++;
        }
    }

    /** Reports the bytes now and then, and under {@link SpliceMode#AUTO} switches to splice once the relay streams. */
    @Override
    public void readBatchDone() {
        maybeReport(System.nanoTime());
        if (bulkReads >= BULK_READS_TO_SPLICE && handOver == null && !clientSide.inputDone && !backendSide.inputDone) {
            requestSplice();
        }
    }

    @Override
    public boolean handingOver() {
        return handOver != null;
    }

    @Override
    public boolean aborted() {
        return aborted;
    }

    @Override
    public void idle() {
        log.atDebug().addKeyValue("service", service.name).log("idle connection closed");
        result = AccessLogResult.IDLE_TIMEOUT;
        abort();
    }

    @Override
    public void failed(RelaySide side, Throwable cause) {
        if (side == clientSide) {
            log.atDebug()
                    .addKeyValue("service", service.name)
                    .addKeyValue("reason", String.valueOf(cause))
                    .log("client connection failed");
        } else {
            log.atDebug()
                    .addKeyValue("service", service.name)
                    .addKeyValue("backend", current.key)
                    .addKeyValue("reason", String.valueOf(cause))
                    .log("backend connection failed");
        }
        abort();
    }

    @Override
    public void closed(RelaySide side) {
        if (side == clientSide) {
            cancelConnect();
        }
        maybeFinish();
    }

    @Override
    public boolean ended() {
        return aborted || finished;
    }

    @Override
    public void copyingResumed() {
        handOver = null;
        bulkReads = Integer.MIN_VALUE; // do not ask again
    }

    /** Bytes the splice relay moved, client to backend ({@code upstream}) or back. */
    @Override
    public void spliced(boolean upstream, int bytes, long now) {
        (upstream ? clientSide : backendSide).unreported += bytes;
        maybeReport(now);
    }

    /** The splice relay closed both sockets. */
    @Override
    public void spliceEnded() {
        clientSide.closed = true;
        backendSide.closed = true;
        maybeFinish();
    }

    private void maybeReport(long now) {
        if (now - lastReport >= REPORT_INTERVAL_NANOS) {
            report();
            lastReport = now;
        }
    }

    private void report() {
        long rx = clientSide.takeUnreported();
        if (rx != 0) {
            service.rxBytes.increment(rx);
            bytesIn += rx;
        }
        long tx = backendSide.takeUnreported();
        if (tx != 0) {
            service.txBytes.increment(tx);
            bytesOut += tx;
        }
    }

    private void maybeFinish() {
        if (finished || !clientSide.closed || connecting() || (backendSide.connected() && !backendSide.closed)) {
            return;
        }
        finished = true;
        report();
        if (backendSide.connected()) {
            current.disconnected();
            if (limitedPerBackend()) {
                service.backendSlotFreed();
            }
        }
        clientSide.releasePending();
        loopRelays.remove(this);
        service.active.decrementAndGet();
        meters.activeConnections.decrementAndGet();
        if (gate != null) {
            gate.release();
        }
        AccessLog accessLog = engine.accessLog;
        if (accessLog != null) {
            accessLog.offer(new AccessLogEntry(
                    startMillis,
                    (System.nanoTime() - startNanos) / 1_000_000,
                    clientAddress,
                    (InetSocketAddress) client.localAddress(),
                    service.tag,
                    backendSide.connected() ? current.key : "",
                    bytesIn,
                    bytesOut,
                    result,
                    Math.max(0, attempts - 1)));
        }
    }
}
