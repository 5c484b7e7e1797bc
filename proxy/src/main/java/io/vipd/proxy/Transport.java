package io.vipd.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.spi.SelectorProvider;

/**
 * The socket implementation the engine runs on: native epoll when the platform has it, NIO otherwise
 * ({@code -Dvipd.transport=nio} forces NIO, for tests of the fallback).
 */
record Transport(
        boolean epoll,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends Channel> datagramChannel) {

    static Transport detect() {
        boolean useEpoll = Epoll.isAvailable() && !"nio".equalsIgnoreCase(System.getProperty("vipd.transport"));
        if (useEpoll) {
            return new Transport(
                    true, EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollDatagramChannel.class);
        }
        return new Transport(false, NioIoHandler.newFactory(), NioServerSocketChannel.class, NioDatagramChannel.class);
    }

    /**
     * Makes TCP sockets of one address family: an IPv4 socket for IPv4 addresses rather than Netty's default
     * dual-stack IPv6 one, which costs an extra setsockopt(IPV6_V6ONLY) per socket and carries every IPv4 address
     * as a mapped IPv6 one through the kernel and Netty.
     */
    ChannelFactory<Channel> socketChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return epoll
                ? () -> new EpollSocketChannel(family)
                : () -> new NioSocketChannel(SelectorProvider.provider(), family);
    }

    /** Listening sockets of one address family, as {@link #socketChannel(boolean)}. */
    ChannelFactory<ServerChannel> serverChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return epoll
                ? () -> new EpollServerSocketChannel(family)
                : () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    }

    /** Datagram sockets of one address family, as {@link #socketChannel(boolean)}. */
    ChannelFactory<Channel> datagramChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return epoll
                ? () -> new EpollDatagramChannel(family)
                : () -> new NioDatagramChannel(SelectorProvider.provider(), family);
    }

    MultiThreadIoEventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(
                threads, new io.netty.util.concurrent.DefaultThreadFactory("vipd-loop", true), ioHandlerFactory);
    }

    String name() {
        return epoll ? "epoll" : "nio";
    }
}
