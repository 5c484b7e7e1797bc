package io.vipd.proxy;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.nio.channels.spi.SelectorProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket implementation a set of event loops runs on: native epoll, native io_uring or NIO, with the
 * channel classes and socket options that differ between them. {@code -Dvipd.transport=nio|epoll|io_uring}
 * overrides {@link TransportChoice#AUTO}, for tests of each transport.
 */
final class Transport {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);
    /** Linux IP_BIND_ADDRESS_NO_PORT (IPPROTO_IP level): Netty's io_uring options lack it, so it is set raw. */
    private static final IntegerUnixChannelOption URING_BIND_ADDRESS_NO_PORT =
            new IntegerUnixChannelOption("IP_BIND_ADDRESS_NO_PORT", 0, 24);

    private static final Transport EPOLL = new Transport(TransportChoice.EPOLL);
    private static final Transport IO_URING = new Transport(TransportChoice.IO_URING);
    private static final Transport NIO = new Transport(TransportChoice.NIO);

    private final TransportChoice kind;

    private Transport(TransportChoice kind) {
        this.kind = kind;
    }

    /**
     * The transport for {@code choice}. {@link TransportChoice#AUTO} takes io_uring when the kernel and the native
     * library allow it, epoll when they do not or when splice is asked for ({@code --splice on}: io_uring has no
     * splice), else NIO, with an INFO line saying why. io_uring is the default because it measured less CPU per
     * keep-alive request and per new connection than epoll (bench/README, "Transports"); epoll moves bulk data
     * with less CPU through splice.
     *
     * @throws IllegalStateException naming the transport and the cause when an explicit choice is not available
     */
    static Transport choose(TransportChoice choice, SpliceMode splice) {
        if (choice == TransportChoice.AUTO) {
            String forced = System.getProperty("vipd.transport");
            if (forced != null && !forced.isEmpty()) {
                choice = TransportChoice.parse(forced);
            }
        }
        if (choice == TransportChoice.AUTO) {
            if (splice != SpliceMode.ON && IoUring.isAvailable()) {
                return IO_URING;
            }
            if (Epoll.isAvailable()) {
                if (splice != SpliceMode.ON) {
                    log.atInfo()
                            .addKeyValue("cause", String.valueOf(IoUring.unavailabilityCause()))
                            .log("transport auto: io_uring is not available, using epoll");
                }
                return EPOLL;
            }
            log.atInfo()
                    .addKeyValue("cause", String.valueOf(Epoll.unavailabilityCause()))
                    .log("transport auto: native epoll is not available, using nio");
            return NIO;
        }
        String unavailable = choice.unavailableReason();
        if (unavailable != null) {
            throw new IllegalStateException(
                    "transport " + choice.flagValue() + " is not available here: " + unavailable);
        }
        return switch (choice) {
            case EPOLL -> EPOLL;
            case IO_URING -> IO_URING;
            default -> NIO;
        };
    }

    /** Native epoll, for listeners io_uring cannot serve; null when epoll is not available. */
    static Transport epollIfAvailable() {
        return Epoll.isAvailable() ? EPOLL : null;
    }

    boolean epoll() {
        return kind == TransportChoice.EPOLL;
    }

    boolean ioUring() {
        return kind == TransportChoice.IO_URING;
    }

    /** A native transport: SO_REUSEPORT (one listener per loop), IP_TRANSPARENT and raw socket options. */
    boolean nativeSockets() {
        return kind != TransportChoice.NIO;
    }

    String name() {
        return kind.flagValue();
    }

    /** Whether {@code loop} runs this transport's channels. */
    boolean runs(EventLoop loop) {
        return loop instanceof IoEventLoop l && l.isIoType(ioHandlerClass());
    }

    private Class<? extends IoHandler> ioHandlerClass() {
        return switch (kind) {
            case EPOLL -> EpollIoHandler.class;
            case IO_URING -> IoUringIoHandler.class;
            default -> NioIoHandler.class;
        };
    }

    private IoHandlerFactory ioHandlerFactory() {
        return switch (kind) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            default -> NioIoHandler.newFactory();
        };
    }

    /**
     * Makes TCP sockets of one address family: an IPv4 socket for IPv4 addresses rather than Netty's default
     * dual-stack IPv6 one, which costs an extra setsockopt(IPV6_V6ONLY) per socket and carries every IPv4 address
     * as a mapped IPv6 one through the kernel and Netty. Netty's io_uring channels have no family constructor:
     * there every socket is dual-stack.
     */
    ChannelFactory<Channel> socketChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return switch (kind) {
            case EPOLL -> () -> new EpollSocketChannel(family);
            case IO_URING -> IoUringSocketChannel::new;
            default -> () -> new NioSocketChannel(SelectorProvider.provider(), family);
        };
    }

    /** Listening sockets of one address family, as {@link #socketChannel(boolean)}. */
    ChannelFactory<ServerChannel> serverChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return switch (kind) {
            case EPOLL -> () -> new EpollServerSocketChannel(family);
            case IO_URING -> IoUringServerSocketChannel::new;
            default -> () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
        };
    }

    /** Dual-stack listening sockets (TPROXY hands a transparent listener both families). */
    ChannelFactory<ServerChannel> dualStackServerChannel() {
        return switch (kind) {
            case EPOLL -> EpollServerSocketChannel::new;
            case IO_URING -> IoUringServerSocketChannel::new;
            default -> NioServerSocketChannel::new;
        };
    }

    /** Datagram sockets of one address family, as {@link #socketChannel(boolean)}. */
    ChannelFactory<Channel> datagramChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return switch (kind) {
            case EPOLL -> () -> new EpollDatagramChannel(family);
            case IO_URING -> () -> new IoUringDatagramChannel(family);
            default -> () -> new NioDatagramChannel(SelectorProvider.provider(), family);
        };
    }

    /** Dual-stack datagram sockets. */
    ChannelFactory<Channel> dualStackDatagramChannel() {
        return switch (kind) {
            case EPOLL -> EpollDatagramChannel::new;
            case IO_URING -> IoUringDatagramChannel::new;
            default -> NioDatagramChannel::new;
        };
    }

    /**
     * A listening channel over an inherited socket, or null when this transport cannot wrap one: Netty 4.2's
     * {@code IoUringServerSocketChannel} has no constructor over a file descriptor.
     */
    ChannelFactory<ServerChannel> serverChannelOver(int fd) {
        return epoll() ? () -> new EpollServerSocketChannel(fd) : null;
    }

    /** A datagram channel over an inherited socket, or null when this transport cannot wrap one. */
    ChannelFactory<Channel> datagramChannelOver(int fd) {
        return switch (kind) {
            case EPOLL -> () -> new EpollDatagramChannel(fd);
            case IO_URING -> () -> new IoUringDatagramChannel(fd);
            default -> null;
        };
    }

    /**
     * Whether a datagram socket here can report each datagram's original destination (IP_RECVORIGDSTADDR), which
     * a transparent UDP listener needs: epoll only, Netty's io_uring datagram channel does not read it.
     */
    boolean receivesOriginalDestination() {
        return epoll();
    }

    /** SO_REUSEPORT, on native transports only (NIO has no such option). */
    void reusePort(AbstractBootstrap<?, ?> b) {
        if (nativeSockets()) {
            b.option(UnixChannelOption.SO_REUSEPORT, true);
        }
    }

    /** IP_TRANSPARENT (binding or accepting for addresses that are not local); native transports only. */
    void transparent(AbstractBootstrap<?, ?> b) {
        b.option(transparentOption(), true);
    }

    /** As {@link #transparent(AbstractBootstrap)}, on a channel made without a bootstrap. */
    void transparent(ChannelConfig config) {
        config.setOption(transparentOption(), true);
    }

    private ChannelOption<Boolean> transparentOption() {
        return switch (kind) {
            case EPOLL -> EpollChannelOption.IP_TRANSPARENT;
            case IO_URING -> IoUringChannelOption.IP_TRANSPARENT;
            default -> throw new IllegalStateException("IP_TRANSPARENT needs a native transport, not nio");
        };
    }

    /**
     * IP_BIND_ADDRESS_NO_PORT, on a channel made without a bootstrap: a bind to an address without a port leaves
     * the port to connect's 4-tuple.
     */
    void bindAddressNoPort(ChannelConfig config) {
        switch (kind) {
            case EPOLL -> config.setOption(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
            case IO_URING -> config.setOption(URING_BIND_ADDRESS_NO_PORT, 1);
            default -> throw new IllegalStateException("IP_BIND_ADDRESS_NO_PORT needs a native transport, not nio");
        }
    }

    MultiThreadIoEventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(
                threads, new io.netty.util.concurrent.DefaultThreadFactory(threadPrefix, true), ioHandlerFactory());
    }

    @Override
    public String toString() {
        return name();
    }
}
