package io.vipd.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The backend connect settings shared by every relay, applied to each new backend channel directly, of the
 * transport of the client's loop (an io_uring engine runs some listeners on epoll loops, see {@link Listeners}).
 * This is on every new connection's path, so it skips what a Bootstrap does per connect (clone the template, copy
 * and replay its option and attribute maps, run a resolver step for an address that is resolved already).
 * Thread-safe: nothing here changes after construction.
 */
final class BackendBootstraps implements BackendDialer {
    private final Transport transport;
    private final ChannelFactory<Channel> ipv4;
    private final ChannelFactory<Channel> ipv6;
    /** Null when there is no fallback transport. */
    private final Transport fallback;

    private final ChannelFactory<Channel> fallbackIpv4;
    private final ChannelFactory<Channel> fallbackIpv6;
    private final int connectTimeoutMillis;

    /** @param fallback the transport of the engine's fallback loops; null if none */
    BackendBootstraps(Transport transport, Transport fallback, int connectTimeoutMillis) {
        this.transport = transport;
        this.ipv4 = transport.socketChannel(true);
        this.ipv6 = transport.socketChannel(false);
        this.fallback = fallback;
        this.fallbackIpv4 = fallback == null ? null : fallback.socketChannel(true);
        this.fallbackIpv6 = fallback == null ? null : fallback.socketChannel(false);
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    @Override
    public ChannelFuture connect(
            EventLoop loop, InetSocketAddress backend, InetAddress transparentSource, ChannelHandler handler) {
        boolean ipv4Backend = backend.getAddress() instanceof Inet4Address;
        boolean onFallback = fallback != null && fallback.runs(loop);
        Transport t = onFallback ? fallback : transport;
        ChannelFactory<Channel> factory =
                onFallback ? (ipv4Backend ? fallbackIpv4 : fallbackIpv6) : (ipv4Backend ? ipv4 : ipv6);
        Channel ch;
        try {
            ch = factory.newChannel();
        } catch (ChannelException e) {
            // No socket (out of descriptors, say): Netty's Bootstrap makes the failed future the relay expects,
            // on a stand-in channel of its own that is not public API.
            return new Bootstrap()
                    .group(loop)
                    .channelFactory(factory)
                    .handler(handler)
                    .connect(backend);
        }
        try {
            ChannelConfig config = ch.config();
            config.setConnectTimeoutMillis(connectTimeoutMillis);
            config.setAutoRead(false);
            config.setWriteBufferWaterMark(SocketSettings.TCP_WATER_MARK);
            config.setAllocator(PooledByteBufAllocator.DEFAULT);
            config.setRecvByteBufAllocator(SocketSettings.TCP_RECV_ALLOCATOR);
            config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            if (transparentSource != null) {
                // Node mode: the backend sees the client's own address; the `socket transparent` rule and policy
                // routing deliver its replies to this socket. The port is chosen at connect time, per 4-tuple.
                t.transparent(config);
                t.bindAddressNoPort(config);
            }
            ch.pipeline().addLast(handler);
        } catch (RuntimeException e) {
            ch.unsafe().closeForcibly();
            return ch.newFailedFuture(e);
        }
        InetSocketAddress local = transparentSource == null ? null : new InetSocketAddress(transparentSource, 0);
        ChannelFuture registered = loop.register(ch);
        if (registered.isDone()) {
            // The usual case: called on the loop itself, registration has completed already.
            return registered.isSuccess() ? ch.connect(backend, local) : registered;
        }
        ChannelPromise connected = ch.newPromise();
        registered.addListener(r -> {
            if (r.isSuccess()) {
                ch.connect(backend, local, connected);
            } else {
                connected.setFailure(r.cause());
            }
        });
        return connected;
    }
}
