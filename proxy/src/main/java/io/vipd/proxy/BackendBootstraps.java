package io.vipd.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The backend connect settings shared by every relay, one {@link Bootstrap} per address family and transport;
 * each connect clones one onto the client's loop, of that loop's transport (an io_uring engine runs some
 * listeners on epoll loops, see {@link Listeners}). Backend addresses are resolved already: no resolver step. Thread-safe: the
 * templates are never changed after construction.
 */
final class BackendBootstraps implements BackendDialer {
    private final Transport transport;
    private final Bootstrap ipv4;
    private final Bootstrap ipv6;
    /** Null when there is no fallback transport. */
    private final Transport fallback;

    private final Bootstrap fallbackIpv4;
    private final Bootstrap fallbackIpv6;

    /** @param fallback the transport of the engine's fallback loops; null if none */
    BackendBootstraps(Transport transport, Transport fallback, int connectTimeoutMillis) {
        this.transport = transport;
        this.ipv4 = template(transport, connectTimeoutMillis, true);
        this.ipv6 = template(transport, connectTimeoutMillis, false);
        this.fallback = fallback;
        this.fallbackIpv4 = fallback == null ? null : template(fallback, connectTimeoutMillis, true);
        this.fallbackIpv6 = fallback == null ? null : template(fallback, connectTimeoutMillis, false);
    }

    private static Bootstrap template(Transport transport, int connectTimeoutMillis, boolean ipv4) {
        return new Bootstrap()
                .channelFactory(transport.socketChannel(ipv4))
                .disableResolver()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, SocketSettings.TCP_WATER_MARK)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.TCP_RECV_ALLOCATOR);
    }

    @Override
    public ChannelFuture connect(
            EventLoop loop, InetSocketAddress backend, InetAddress transparentSource, ChannelHandler handler) {
        boolean ipv4Backend = backend.getAddress() instanceof Inet4Address;
        boolean onFallback = fallback != null && fallback.runs(loop);
        Transport t = onFallback ? fallback : transport;
        Bootstrap template = onFallback ? (ipv4Backend ? fallbackIpv4 : fallbackIpv6) : (ipv4Backend ? ipv4 : ipv6);
        Bootstrap b = template.clone(loop).handler(handler);
        if (transparentSource != null) {
            // Node mode: the backend sees the client's own address; the `socket transparent` rule and policy
            // routing deliver its replies to this socket. The port is chosen at connect time, per 4-tuple.
            t.transparent(b);
            t.bindAddressNoPort(b);
            b.localAddress(new InetSocketAddress(transparentSource, 0));
        }
        return b.connect(backend);
    }
}
