package io.vipd.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP flow: a connected datagram channel to the chosen backend on the loop that received the client's
 * first datagram. Client datagrams go out through it; the backend's replies go back to the client through
 * {@code replyVia} (the listening socket that received the flow, or in node mode a transparent socket bound to
 * the frontend address), so the client sees them come from the address it sent to. Touched by its loop only.
 */
final class UdpFlow implements ChannelFutureListener {
    /** The table that holds the flow: told when the flow's backend turns out unreachable. */
    interface Owner {
        void backendUnreachable(UdpFlow flow);
    }

    private static final Logger log = LoggerFactory.getLogger(UdpFlow.class);
    /** Datagrams held while the backend socket is being set up; more are dropped. */
    private static final int MAX_PENDING = 64;

    final UdpFlowKey key;
    final ServiceRuntime service;
    final BackendRuntime backend;
    private final Owner table;
    private final Channel replyVia;
    /** Node mode: {@code replyVia} was opened for this flow alone, so it closes with the flow. */
    final boolean ownsReplyVia;

    private final BackendSide backendSide = new BackendSide();
    private Channel channel;
    private boolean connected;
    private boolean closed;
    private ArrayDeque<ByteBuf> pending;
    long lastSeen;
    long rx;
    long tx;
    /** For the access log: when the flow started, and its bytes so far as reported. */
    final long startMillis = System.currentTimeMillis();

    final long startNanos = System.nanoTime();
    long rxTotal;
    long txTotal;

    UdpFlow(
            Owner table,
            UdpFlowKey key,
            ServiceRuntime service,
            BackendRuntime backend,
            Channel replyVia,
            boolean ownsReplyVia) {
        this.table = table;
        this.key = key;
        this.service = service;
        this.backend = backend;
        this.replyVia = replyVia;
        this.ownsReplyVia = ownsReplyVia;
    }

    ChannelInboundHandlerAdapter backendHandler() {
        return backendSide;
    }

    void connecting(ChannelFuture f) {
        channel = f.channel();
        f.addListener(this);
    }

    @Override
    public void operationComplete(ChannelFuture f) {
        if (closed) {
            return;
        }
        if (!f.isSuccess()) {
            log.atDebug()
                    .addKeyValue("service", service.name)
                    .addKeyValue("backend", backend.key)
                    .addKeyValue("reason", String.valueOf(f.cause()))
                    .log("UDP backend socket failed");
            table.backendUnreachable(this);
            return;
        }
        connected = true;
        if (pending != null) {
            ByteBuf b;
            while ((b = pending.poll()) != null) {
                channel.write(b, channel.voidPromise());
            }
            channel.flush();
        }
    }

    /** Sends one client datagram's payload to the backend; takes ownership of {@code content}. */
    void send(ByteBuf content, long now) {
        lastSeen = now;
        rx += content.readableBytes();
        if (connected) {
            channel.writeAndFlush(content, channel.voidPromise());
        } else if (!closed) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            if (pending.size() < MAX_PENDING) {
                pending.add(content);
            } else {
                content.release();
            }
        } else {
            content.release();
        }
    }

    /** Closes the backend socket and drops held datagrams. Called by the table only. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pending != null) {
            ByteBuf b;
            while ((b = pending.poll()) != null) {
                b.release();
            }
        }
        if (channel != null) {
            channel.close();
        }
        if (replyVia != null && ownsReplyVia) {
            replyVia.close();
        }
    }

    /** The backend's replies, back to the client. */
    private final class BackendSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closed || !(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            DatagramPacket packet = (DatagramPacket) msg;
            ByteBuf content = packet.content();
            lastSeen = System.nanoTime();
            tx += content.readableBytes();
            InetSocketAddress client = key.client();
            replyVia.write(new DatagramPacket(content, client), replyVia.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            replyVia.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof PortUnreachableException) {
                log.atDebug()
                        .addKeyValue("service", service.name)
                        .addKeyValue("backend", backend.key)
                        .log("UDP backend port unreachable; flow evicted");
                table.backendUnreachable(UdpFlow.this);
            } else {
                log.atDebug()
                        .addKeyValue("service", service.name)
                        .addKeyValue("reason", String.valueOf(cause))
                        .log("UDP backend socket error");
            }
        }
    }
}
