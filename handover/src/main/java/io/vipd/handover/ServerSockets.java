package io.vipd.handover;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Opens a small TCP server's listening socket (admin, healthz, healthCheckNodePort) so that it can be handed
 * over: with native epoll when available (only an epoll channel has a descriptor to pass), over a socket
 * inherited from the previous vipd when there is one for the address, and recorded for the next. Stateless.
 */
public final class ServerSockets {
    private ServerSockets() {}

    /** The I/O handler the server's event loop group must use for {@link #bindOrAdopt}. */
    public static IoHandlerFactory ioHandlerFactory() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /**
     * Binds {@code address}, or registers the inherited socket bound to it, with {@code bootstrap}'s group and
     * handlers ({@code bootstrap} must not name a channel type); waits for the outcome.
     *
     * @return the listening channel, already in {@code held}
     * @throws Exception the bind's failure (address in use, permission, ...)
     */
    public static Channel bindOrAdopt(
            ServerBootstrap bootstrap, InetSocketAddress address, HeldListeners held, InheritedListeners inherited)
            throws Exception {
        ListenerAddress key = ListenerAddress.tcp(address);
        List<Integer> fds = inherited.claim(key);
        ChannelFuture f;
        if (!fds.isEmpty()) {
            int fd = fds.get(0);
            // A small server has one socket per address; a surplus one (never sent today) just goes.
            fds.subList(1, fds.size()).forEach(ServerSockets::closeQuietly);
            f = bootstrap.channelFactory(() -> new EpollServerSocketChannel(fd)).register();
        } else if (Epoll.isAvailable()) {
            f = bootstrap.channel(EpollServerSocketChannel.class).bind(address);
        } else {
            f = bootstrap.channel(NioServerSocketChannel.class).bind(address);
        }
        Channel ch = f.sync().channel();
        held.add(key, ch);
        ch.closeFuture().addListener(x -> held.remove(ch));
        return ch;
    }

    private static void closeQuietly(int fd) {
        try {
            new io.netty.channel.unix.FileDescriptor(fd).close();
        } catch (java.io.IOException ignored) {
            // Already closed: nothing to release.
        }
    }
}
