package io.vipd.proxy;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Opens a relay's connections to backends ({@link BackendBootstraps} in the engine); the relay's tests dial
 * embedded channels instead.
 */
interface BackendDialer {
    /**
     * Starts connecting to {@code backend} on {@code loop}, with {@code handler} on the new channel.
     *
     * @param transparentSource node mode: the client address the connection is bound to (IP_TRANSPARENT, any
     *                          port), so the backend sees the client; null to connect from the node's address
     */
    ChannelFuture connect(
            EventLoop loop, InetSocketAddress backend, InetAddress transparentSource, ChannelHandler handler);
}
