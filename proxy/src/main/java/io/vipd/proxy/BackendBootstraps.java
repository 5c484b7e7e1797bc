package io.vipd.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The backend connect settings shared by every relay, one {@link Bootstrap} per address family; each connect
 * clones one onto the client's loop. Backend addresses are resolved already: no resolver step. Thread-safe: the
 * templates are never changed after construction.
 */
final class BackendBootstraps implements BackendDialer {
    private final Bootstrap ipv4;
    private final Bootstrap ipv6;

    BackendBootstraps(Transport transport, int connectTimeoutMillis) {
        this.ipv4 = template(transport, connectTimeoutMillis, true);
        this.ipv6 = template(transport, connectTimeoutMillis, false);
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
        Bootstrap b = (backend.getAddress() instanceof Inet4Address ? ipv4 : ipv6)
                .clone(loop)
                .handler(handler);
        if (transparentSource != null) {
            // Node mode: the backend sees the client's own address; the `socket transparent` rule and policy
            // routing deliver its replies to this socket. The port is chosen at connect time, per 4-tuple.
            b.option(EpollChannelOption.IP_TRANSPARENT, true)
                    .option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true)
                    .localAddress(new InetSocketAddress(transparentSource, 0));
        }
        return b.connect(backend);
    }
}
