package io.vipd.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.vipd.lb.BackendSet;
import io.vipd.lb.FrontendType;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection and its backend connection, both on the client's event loop, so every field is
 * touched by one thread only. Connects to the candidates in preference order until one answers, then relays
 * bytes both ways (write per read, one flush per read batch, reads paused while the peer is not writable),
 * propagates a FIN as a half-close and a reset as a reset, and closes each side once both directions are done.
 */
final class TcpRelay implements ChannelFutureListener {
    private static final Logger log = LoggerFactory.getLogger(TcpRelay.class);
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Read buffers that grow to 256 KiB for bulk transfers (Netty's default stops at 64 KiB), so a busy stream
     * costs fewer reads, writes and wake-ups; shared, since each channel keeps its own sizing handle.
     */
    static final AdaptiveRecvByteBufAllocator RECV_ALLOCATOR = new AdaptiveRecvByteBufAllocator(512, 16 * 1024,
            256 * 1024);
    /** Under {@link SpliceMode#AUTO}: a read this large means the sender had this much queued, i.e. it streams. */
    private static final int BULK_READ_BYTES = 64 * 1024;
    /** Under {@link SpliceMode#AUTO}: this many bulk reads (either direction) switch the relay to splice. */
    private static final int BULK_READS_TO_SPLICE = 4;

    /**
     * The backend connect settings shared by every relay, for backends of one address family; each connect clones
     * it onto the client's loop. Backend addresses are resolved already: no resolver step.
     */
    static Bootstrap backendBootstrap(Engine engine, boolean ipv4) {
        return new Bootstrap().channelFactory(engine.transport.socketChannel(ipv4)).disableResolver()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, engine.connectTimeoutMillis)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.RCVBUF_ALLOCATOR, RECV_ALLOCATOR);
    }

    /**
     * Once everything written before is flushed: send a FIN (the other direction carries on), and let Netty
     * close the channel when its own input ends, since nothing is left to do then.
     */
    private static final ChannelFutureListener HALF_CLOSE = f -> {
        Channel ch = f.channel();
        if (!ch.isOpen()) {
            return;
        }
        if (!f.isSuccess()) {
            ch.close();
            return;
        }
        // Without half-closure Netty closes at EOF directly, instead of shutting the input down first, which
        // fails with ENOTCONN on a socket whose FIN was already acknowledged both ways.
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        shutdownOutput(ch);
    };
    /** Once everything written before is flushed: close (the input is done too). */
    private static final ChannelFutureListener CLOSE = f -> closeDone(f.channel());

    /**
     * Closes a channel whose both directions are finished. On epoll the descriptor is closed first: once a
     * socket's input has ended, Netty 4.2 has already removed it from the epoll set, and its own close would
     * remove it again, failing with ENOENT and building an exception with a stack trace per channel; closing
     * the descriptor removes it from the epoll set anyway, and Netty skips the removal for a closed one.
     */
    static void closeDone(Channel ch) {
        if (!ch.isOpen()) {
            return;
        }
        if (ch instanceof UnixChannel && ch.eventLoop().inEventLoop()) {
            try {
                ((UnixChannel) ch).fd().close();
            } catch (IOException e) {
                // Netty's close below closes it again and reports any failure.
            }
        }
        ch.close();
    }

    /**
     * Sends a FIN. On epoll this is shutdown(SHUT_WR) on the socket itself: Netty's shutdownOutput() builds an
     * exception with a stack trace on every call, which costs more than the syscall.
     */
    private static void shutdownOutput(Channel ch) {
        if (ch instanceof UnixChannel && ((UnixChannel) ch).fd() instanceof Socket) {
            try {
                ((Socket) ((UnixChannel) ch).fd()).shutdown(false, true);
            } catch (IOException e) {
                ch.close();
            }
        } else {
            ((DuplexChannel) ch).shutdownOutput();
        }
    }

    private final Engine engine;
    private final LoopState loop;
    private final Channel client;
    private final ServiceRuntime service;
    private final BackendSet backends;
    private final ServicePortEntry entry;
    private final FrontendType frontendType;
    private final boolean shortCircuit;
    private final ProxyProtocol proxyProtocol;
    private final int[] candidates;
    private final int candidateCount;
    private final SpliceMode spliceMode;
    private final ClientSide clientSide = new ClientSide();
    private final BackendSide backendSide = new BackendSide();
    private int attempt;
    private BackendRuntime current;
    private Channel connecting;
    private Channel backend;
    private long connectStart;
    private boolean clientClosed;
    private boolean backendClosed;
    private boolean clientInputDone;
    private boolean backendInputDone;
    private boolean aborted;
    private boolean finished;
    private ArrayDeque<Object> pending;
    private long rx;
    private long tx;
    private long lastReport;
    private int bulkReads;
    /** Copying has stopped for a switch to splice (reads paused, then both channels handed over). */
    private boolean spliceRequested;
    private SpliceRelay splice;

    TcpRelay(Engine engine, LoopState loop, Channel client, ServiceRuntime service, FrontendType frontendType,
             boolean shortCircuit, ServicePortEntry entry, Route route, int[] candidates, int candidateCount) {
        this.engine = engine;
        this.loop = loop;
        this.client = client;
        this.service = service;
        this.backends = route.backends();
        this.entry = entry;
        this.frontendType = frontendType;
        this.shortCircuit = shortCircuit;
        this.proxyProtocol = entry.proxyProtocol();
        this.candidates = candidates;
        this.candidateCount = candidateCount;
        this.spliceMode = engine.transport.epoll() ? engine.config.splice() : SpliceMode.OFF;
    }

    void start() {
        engine.activeConnections.incrementAndGet();
        service.active.incrementAndGet();
        loop.relays.add(this);
        if (!engine.config.idleTimeout().isZero()) {
            client.pipeline().addLast(new IdleStateHandler(0, 0, engine.config.idleTimeout().toNanos(),
                    TimeUnit.NANOSECONDS));
        }
        client.pipeline().addLast(clientSide);
        connectNext();
    }

    private void connectNext() {
        int index = candidates[attempt++];
        current = service.backend(backends.key(index));
        InetSocketAddress address = backends.get(index).socketAddress();
        connectStart = System.nanoTime();
        Bootstrap b = (address.getAddress() instanceof Inet4Address ? engine.backendBootstrap4
                : engine.backendBootstrap6).clone(client.eventLoop()).handler(backendSide);
        InetAddress clientIp = ((InetSocketAddress) client.remoteAddress()).getAddress();
        if (engine.transparentEgress(frontendType, entry, shortCircuit, clientIp, address.getAddress())) {
            // Node mode: the backend sees the client's own address; the `socket transparent` rule and policy
            // routing deliver its replies to this socket. The port is chosen at connect time, per 4-tuple.
            b.option(EpollChannelOption.IP_TRANSPARENT, true)
                    .option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true)
                    .localAddress(new InetSocketAddress(clientIp, 0));
        }
        ChannelFuture f = b.connect(address);
        connecting = f.channel();
        f.addListener(this);
    }

    /** The outcome of one connect attempt. */
    @Override
    public void operationComplete(ChannelFuture f) {
        Channel ch = f.channel();
        connecting = null;
        if (clientClosed) {
            // The client left while we were connecting: not the backend's fault.
            ch.close();
            maybeFinish();
            return;
        }
        if (f.isSuccess()) {
            engine.connectDuration.record(System.nanoTime() - connectStart, TimeUnit.NANOSECONDS);
            backend = ch;
            current.connected();
            engine.recordAffinity(entry, (InetSocketAddress) client.remoteAddress(), current.key);
            lastReport = System.nanoTime();
            if (proxyProtocol != ProxyProtocol.NONE) {
                backend.write(ProxyProtocolHeader.encode(proxyProtocol, (InetSocketAddress) client.remoteAddress(),
                        (InetSocketAddress) client.localAddress(), backend.alloc()), backend.voidPromise());
            }
            if (pending != null) {
                Object m;
                while ((m = pending.poll()) != null) {
                    rx += ((ByteBuf) m).readableBytes();
                    backend.write(m, backend.voidPromise());
                }
            }
            if (clientInputDone) {
                backend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(HALF_CLOSE);
            } else {
                backend.flush();
                if (spliceMode == SpliceMode.ON) {
                    requestSplice();
                    return;
                }
            }
            backend.config().setAutoRead(true);
            if (!clientInputDone) {
                // Re-arming reads on a socket whose input is shut down fails in epoll_ctl (ENOENT).
                client.config().setAutoRead(true);
            }
            return;
        }
        current.connectFailed();
        log.atDebug().addKeyValue("service", service.name).addKeyValue("backend", current.key)
                .addKeyValue("reason", String.valueOf(f.cause())).log("backend connect failed");
        if (attempt < candidateCount) {
            engine.retries.increment();
            connectNext();
        } else {
            service.allFailed.increment();
            Engine.reset(client);
        }
    }

    /** Closes both sides with a reset: an error, an idle timeout or a forced shutdown. */
    void abort() {
        aborted = true;
        if (splice != null) {
            splice.reset();
            return;
        }
        if (connecting != null) {
            connecting.close();
        }
        if (backend != null) {
            Engine.reset(backend);
        }
        Engine.reset(client);
        if (spliceRequested) {
            // The channels may be deregistered already, and then their close fires no channelInactive.
            spliceEnded();
        }
    }

    /**
     * Stops copying and hands both sockets to a {@link SpliceRelay} once nothing is left in Netty's buffers:
     * reads pause now, and the hand-over waits until every byte already read has been written.
     */
    private void requestSplice() {
        spliceRequested = true;
        client.config().setAutoRead(false);
        backend.config().setAutoRead(false);
        IdleStateHandler idle = client.pipeline().get(IdleStateHandler.class);
        if (idle != null) {
            client.pipeline().remove(idle); // the splice relay keeps its own idle timer
        }
        // Later, not now: reads already under way in this loop turn may still queue bytes.
        client.eventLoop().execute(this::handOverWhenFlushed);
    }

    private void handOverWhenFlushed() {
        if (aborted || finished) {
            return;
        }
        if (clientClosed || backendClosed || clientInputDone || backendInputDone) {
            resumeCopying();
            return;
        }
        Channel unflushed = hasPendingWrites(client) ? client : hasPendingWrites(backend) ? backend : null;
        if (unflushed != null) {
            // Checked again as a task: while the listener runs, the outbound buffer still counts the entry.
            unflushed.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                if (f.isSuccess()) {
                    client.eventLoop().execute(this::handOverWhenFlushed);
                }
            });
            return;
        }
        // Both deregistrations run as back-to-back tasks of this loop, normally with no I/O in between.
        ChannelFuture clientOff = client.deregister();
        backend.deregister().addListener(backendOff -> {
            if (aborted || finished) {
                return;
            }
            if (!clientOff.isSuccess() || !backendOff.isSuccess()) {
                abort();
                return;
            }
            if (clientInputDone || backendInputDone || hasPendingWrites(client) || hasPendingWrites(backend)) {
                // A FIN was read in between: give the channels back to Netty and go on copying.
                IoEventLoop loop = (IoEventLoop) client.eventLoop();
                loop.register(client).addListener(c -> loop.register(backend).addListener(b -> {
                    if (c.isSuccess() && b.isSuccess()) {
                        resumeCopying();
                    } else {
                        abort();
                    }
                }));
                return;
            }
            splice = new SpliceRelay(this, (IoEventLoop) client.eventLoop(), client, backend,
                    engine.config.idleTimeout().toNanos());
            splice.start();
            engine.spliced.increment();
        });
    }

    /** A half-close or a close came first: go on copying, as before the request. */
    private void resumeCopying() {
        spliceRequested = false;
        bulkReads = Integer.MIN_VALUE; // do not ask again
        if (!engine.config.idleTimeout().isZero() && client.isOpen()) {
            client.pipeline().addFirst(new IdleStateHandler(0, 0, engine.config.idleTimeout().toNanos(),
                    TimeUnit.NANOSECONDS));
        }
        if (!backendInputDone && !backendClosed) {
            backend.config().setAutoRead(client.isWritable());
        }
        if (!clientInputDone && !clientClosed) {
            client.config().setAutoRead(backend.isWritable());
        }
    }

    private static boolean hasPendingWrites(Channel ch) {
        io.netty.channel.ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out != null && (!out.isEmpty() || out.totalPendingWriteBytes() > 0);
    }

    /** Bytes the splice relay moved, client to backend ({@code upstream}) or back. */
    void spliced(boolean upstream, int bytes, long now) {
        if (upstream) {
            rx += bytes;
        } else {
            tx += bytes;
        }
        maybeReport(now);
    }

    /** The splice relay closed both sockets. */
    void spliceEnded() {
        clientClosed = true;
        backendClosed = true;
        maybeFinish();
    }

    /** Under {@link SpliceMode#AUTO}: counts one read, and switches to splice once the relay streams. */
    private void noteRead(int bytes) {
        if (bytes >= BULK_READ_BYTES && spliceMode == SpliceMode.AUTO) {
            bulkReads++;
        }
    }

    private void maybeSplice() {
        if (bulkReads >= BULK_READS_TO_SPLICE && !spliceRequested && !clientInputDone && !backendInputDone) {
            requestSplice();
        }
    }

    /**
     * One side's input ended (FIN): pass the FIN on to the other side after what was read before it, or, if
     * the other direction is finished too, close both.
     */
    private void inputDone(Channel from, Channel to, boolean otherInputDone) {
        if (otherInputDone) {
            to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(CLOSE);
            closeDone(from);
        } else {
            to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(HALF_CLOSE);
        }
    }

    /**
     * A side closed. After a FIN was passed to it (the other side's input is done), its close is the normal
     * end of its own input: finish the other side. Otherwise the relay cannot go on: reset the other side.
     */
    private void sideClosed(Channel other, boolean otherInputDone) {
        if (aborted || other == null || !other.isOpen()) {
            return;
        }
        if (otherInputDone) {
            other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(CLOSE);
        } else {
            Engine.reset(other);
        }
    }

    private void maybeReport(long now) {
        if (now - lastReport >= REPORT_INTERVAL_NANOS) {
            report();
            lastReport = now;
        }
    }

    private void report() {
        if (rx != 0) {
            service.rxBytes.increment(rx);
            rx = 0;
        }
        if (tx != 0) {
            service.txBytes.increment(tx);
            tx = 0;
        }
    }

    private void maybeFinish() {
        if (finished || !clientClosed || connecting != null || (backend != null && !backendClosed)) {
            return;
        }
        finished = true;
        report();
        if (backend != null) {
            current.disconnected();
        }
        if (pending != null) {
            Object m;
            while ((m = pending.poll()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
        loop.relays.remove(this);
        service.active.decrementAndGet();
        engine.activeConnections.decrementAndGet();
    }

    /** Client-facing half: client to backend. */
    private final class ClientSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (backend != null) {
                int n = ((ByteBuf) msg).readableBytes();
                rx += n;
                noteRead(n);
                backend.write(msg, backend.voidPromise());
            } else if (connecting != null) {
                if (pending == null) {
                    pending = new ArrayDeque<>(4);
                }
                pending.add(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (backend != null) {
                backend.flush();
                maybeReport(System.nanoTime());
                maybeSplice();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (backend != null && !backendInputDone && !spliceRequested) {
                backend.config().setAutoRead(client.isWritable());
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                clientInputDone = true;
                if (backend != null) {
                    inputDone(client, backend, backendInputDone);
                }
            } else if (evt instanceof IdleStateEvent) {
                log.atDebug().addKeyValue("service", service.name).log("idle connection closed");
                abort();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.atDebug().addKeyValue("service", service.name).addKeyValue("reason", String.valueOf(cause))
                    .log("client connection failed");
            abort();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            clientClosed = true;
            if (connecting != null) {
                connecting.close();
            }
            if (backendInputDone) {
                clientInputDone = true; // the client's close after our FIN ends its input normally
            }
            sideClosed(backend, backendInputDone);
            maybeFinish();
        }
    }

    /** Backend-facing half: backend to client. Shared by every connect attempt of this relay. */
    @io.netty.channel.ChannelHandler.Sharable
    private final class BackendSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ctx.channel() == backend && !clientClosed) {
                int n = ((ByteBuf) msg).readableBytes();
                tx += n;
                noteRead(n);
                client.write(msg, client.voidPromise());
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (ctx.channel() == backend) {
                client.flush();
                maybeReport(System.nanoTime());
                maybeSplice();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel() == backend && !clientInputDone && !spliceRequested) {
                client.config().setAutoRead(backend.isWritable());
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent && ctx.channel() == backend) {
                backendInputDone = true;
                inputDone(backend, client, clientInputDone);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() != backend) {
                ctx.close();
                return;
            }
            log.atDebug().addKeyValue("service", service.name).addKeyValue("backend", current.key)
                    .addKeyValue("reason", String.valueOf(cause)).log("backend connection failed");
            abort();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() != backend) {
                return;
            }
            backendClosed = true;
            if (clientInputDone) {
                backendInputDone = true; // the backend's close after our FIN ends its input normally
            }
            sideClosed(client, clientInputDone);
            maybeFinish();
        }
    }
}
