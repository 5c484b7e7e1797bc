package io.vipd.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollChannelOption;
import io.vipd.handover.HeldListeners;
import io.vipd.handover.InheritedListeners;
import io.vipd.handover.ListenerAddress;
import io.vipd.lb.Addresses;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's listening sockets: per frontend, one TCP or UDP socket per event loop (SO_REUSEPORT; one in all
 * under NIO), bound first and accepting later; in node mode also the transparent TCP and UDP listeners. Binds
 * are all or nothing. A socket inherited from the previous vipd ({@link InheritedListeners}) is adopted instead
 * of binding a new one, and every socket is recorded in {@link HeldListeners} for the next. Not thread-safe:
 * {@link ProxyServer} calls it under its lock, never on an event loop. Under io_uring some
 * listeners run on epoll loops ({@link ListenerPlacement}).
 */
final class Listeners {
    private static final Logger log = LoggerFactory.getLogger(Listeners.class);
    private static final int BACKLOG = 4096;

    private final Engine engine;
    private final EventLoops eventLoops;
    private final Map<ListenerKind, TcpAcceptor> acceptors = new EnumMap<>(ListenerKind.class);
    private final Map<ListenerKind, UdpFrontendHandler> udpHandlers = new EnumMap<>(ListenerKind.class);
    private final Map<Frontend, List<Channel>> byFrontend = new LinkedHashMap<>();
    private final List<Channel> transparent = new ArrayList<>();
    private HeldListeners held = new HeldListeners();
    private InheritedListeners inherited = InheritedListeners.none();

    Listeners(Engine engine, ServiceRuntimes services, ProxyMeters meters, EventLoops loops) {
        this.engine = engine;
        this.eventLoops = loops;
        for (ListenerKind k : ListenerKind.values()) {
            acceptors.put(k, new TcpAcceptor(engine, services, meters, loops, k));
            udpHandlers.put(k, new UdpFrontendHandler(engine, services, loops, k, meters.unroutable));
        }
    }

    /** See {@link ProxyServer#setHandover}. */
    void setHandover(HeldListeners held, InheritedListeners inherited) {
        this.held = held;
        this.inherited = inherited;
    }

    /**
     * After a hand-over: the successor owns the sockets. The TCP listeners are closed already. The transparent
     * UDP listener goes too: its flows answer through their own reply sockets. A frontend's UDP listeners stay
     * open, reading nothing, so that this process can still answer its remaining flows from them.
     *
     * @return the frontends' UDP listeners, to close once those flows are done
     */
    List<Channel> forgetHandedOver() {
        List<Channel> udp = new ArrayList<>();
        for (List<Channel> chs : byFrontend.values()) {
            chs.stream().filter(ch -> !(ch instanceof ServerChannel)).forEach(udp::add);
        }
        for (Channel ch : transparent) {
            if (!(ch instanceof ServerChannel)) {
                held.remove(ch);
                // Kept, it would stay bound with nobody reading: a restart after a crash of the successor
                // could not bind it, and datagrams would queue in it unread.
                ch.close();
            }
        }
        byFrontend.clear();
        transparent.clear();
        return udp;
    }

    /** See {@link ProxyServer#bind}. */
    void bind(Collection<Frontend> frontends) throws ListenerException {
        Map<Frontend, List<Channel>> bound = new LinkedHashMap<>();
        for (Frontend f : frontends) {
            if (byFrontend.containsKey(f) || bound.containsKey(f)) {
                continue;
            }
            try {
                ListenerKind kind = f.isNodePort() ? ListenerKind.NODE_PORT : ListenerKind.ADDRESS;
                bound.put(f, bindAll(f.toString(), f, f.socketAddress(), f.protocol(), kind, false));
            } catch (ListenerException e) {
                bound.values().forEach(this::closeAll);
                throw e;
            }
        }
        byFrontend.putAll(bound);
    }

    /** See {@link ProxyServer#accept}. */
    void accept(Collection<Frontend> frontends) {
        for (Frontend f : frontends) {
            List<Channel> chs = byFrontend.get(f);
            if (chs != null && !chs.get(0).config().isAutoRead()) {
                chs.forEach(ch -> ch.config().setAutoRead(true));
                log.atInfo().addKeyValue("frontend", f).log("listener opened");
            }
        }
    }

    /** Closes these frontends' listeners; established connections and UDP flows through them are kept. */
    void close(Collection<Frontend> frontends) {
        for (Frontend f : frontends) {
            List<Channel> chs = byFrontend.remove(f);
            if (chs != null) {
                closeAll(chs);
                log.atInfo().addKeyValue("frontend", f).log("listener closed");
            }
        }
    }

    /** The frontends with open listeners now. */
    Set<Frontend> frontends() {
        return Set.copyOf(byFrontend.keySet());
    }

    /** See {@link ProxyServer#openTransparent}. */
    void openTransparent(InetSocketAddress tcp, InetSocketAddress udp) throws ListenerException {
        if (!engine.transport.nativeSockets()) {
            throw new ListenerException(
                    "transparent listeners need a native transport (epoll or io_uring), not nio", null);
        }
        List<Channel> opened = new ArrayList<>();
        if (tcp != null) {
            opened.addAll(bindAll(
                    Addresses.key(tcp) + "/TCP (transparent)",
                    null,
                    tcp,
                    Protocol.TCP,
                    ListenerKind.TRANSPARENT,
                    true));
        }
        if (udp != null) {
            try {
                opened.addAll(bindAll(
                        Addresses.key(udp) + "/UDP (transparent)",
                        null,
                        udp,
                        Protocol.UDP,
                        ListenerKind.TRANSPARENT,
                        true));
            } catch (ListenerException e) {
                closeAll(opened);
                throw e;
            }
        }
        transparent.addAll(opened);
    }

    /** Closes every listener, the transparent ones too. */
    void closeEvery() {
        byFrontend.values().forEach(this::closeAll);
        byFrontend.clear();
        closeAll(transparent);
        transparent.clear();
    }

    private void closeAll(List<Channel> channels) {
        for (Channel ch : channels) {
            held.remove(ch);
            ch.close().awaitUninterruptibly();
        }
    }

    /**
     * Adopts the sockets inherited for this address, or binds one listener per event loop (one in all under NIO,
     * which has no SO_REUSEPORT); all or nothing.
     */
    private List<Channel> bindAll(
            String name,
            Frontend frontend,
            InetSocketAddress address,
            Protocol protocol,
            ListenerKind kind,
            boolean accepting)
            throws ListenerException {
        ListenerAddress key = protocol == Protocol.TCP ? ListenerAddress.tcp(address) : ListenerAddress.udp(address);
        List<Integer> fds = inherited.claim(key);
        ListenerPlacement place = ListenerPlacement.of(engine, eventLoops, name, frontend, protocol, kind, fds);
        List<Channel> channels = fds.isEmpty()
                ? bindNew(name, frontend, address, protocol, kind, accepting, place.transport(), place.loops())
                : adopt(name, frontend, address, protocol, kind, accepting, fds, place.transport(), place.loops());
        for (Channel ch : channels) {
            held.add(key, ch);
        }
        return channels;
    }

    /**
     * Builds channels over inherited sockets, spread over the event loops: the sockets are already bound and
     * listening, with their queued connections and datagrams.
     */
    private List<Channel> adopt(
            String name,
            Frontend frontend,
            InetSocketAddress address,
            Protocol protocol,
            ListenerKind kind,
            boolean accepting,
            List<Integer> fds,
            Transport transport,
            Collection<EventLoop> onLoops)
            throws ListenerException {
        List<Channel> channels = new ArrayList<>();
        List<EventLoop> loops = new ArrayList<>(onLoops);
        for (int i = 0; i < fds.size(); i++) {
            EventLoop loop = loops.get(i % loops.size());
            int fd = fds.get(i);
            ChannelFuture f = protocol == Protocol.TCP
                    ? tcpListener(loop, kind, address, transport, transport.serverChannelOver(fd))
                            .option(ChannelOption.AUTO_READ, accepting)
                            .register()
                    : udpListener(loop, kind, address, transport, transport.datagramChannelOver(fd))
                            .option(ChannelOption.AUTO_READ, accepting)
                            .register();
            f.awaitUninterruptibly();
            if (!f.isSuccess()) {
                closeAll(channels);
                throw failure(name, frontend, "cannot adopt the inherited socket: " + reason(f.cause()), f.cause());
            }
            channels.add(f.channel());
        }
        log.atInfo()
                .addKeyValue("listener", name)
                .addKeyValue("sockets", fds.size())
                .log("adopted the inherited listener");
        return channels;
    }

    private List<Channel> bindNew(
            String name,
            Frontend frontend,
            InetSocketAddress address,
            Protocol protocol,
            ListenerKind kind,
            boolean accepting,
            Transport transport,
            Collection<EventLoop> onLoops)
            throws ListenerException {
        List<Channel> channels = new ArrayList<>();
        List<EventLoop> loops = new ArrayList<>(onLoops);
        int count = transport.nativeSockets() ? loops.size() : 1;
        // Node mode binds frontend sockets to Service addresses that are on no interface, which a plain probe
        // cannot bind; there the state directory keeps a second vipd out.
        if (transport.nativeSockets() && !(frontend != null && engine.config.transparent())) {
            try {
                BindProbe.checkFree(address, protocol);
            } catch (IOException e) {
                throw failure(name, frontend, reason(e), e);
            }
        }
        for (int i = 0; i < count; i++) {
            EventLoop loop = loops.get(i);
            ChannelFuture f = protocol == Protocol.TCP
                    ? tcpListener(loop, kind, address, transport, null)
                            .option(ChannelOption.AUTO_READ, accepting)
                            .bind(address)
                    : udpListener(loop, kind, address, transport, null)
                            .option(ChannelOption.AUTO_READ, accepting)
                            .bind(address);
            f.awaitUninterruptibly();
            if (!f.isSuccess()) {
                closeAll(channels);
                throw failure(name, frontend, reason(f.cause()), f.cause());
            }
            channels.add(f.channel());
        }
        return channels;
    }

    /** Names the frontend, or for a transparent listener (no frontend) the listener. */
    static ListenerException failure(String name, Frontend frontend, String reason, Throwable cause) {
        return frontend != null
                ? new ListenerException(frontend, reason, cause)
                : new ListenerException(name + ": " + reason, cause);
    }

    /** "Address already in use" rather than "bind(..) failed with error(-98): Address already in use". */
    private static String reason(Throwable cause) {
        String m = cause == null ? null : cause.getMessage();
        if (m == null || m.isEmpty()) {
            return cause == null ? "unknown error" : cause.getClass().getSimpleName();
        }
        int colon = m.lastIndexOf(": ");
        return colon >= 0 ? m.substring(colon + 2) : m;
    }

    /** @param inherited builds the channel over an inherited socket; null to open a new one */
    private ServerBootstrap tcpListener(
            EventLoop loop,
            ListenerKind kind,
            InetSocketAddress address,
            Transport transport,
            ChannelFactory<ServerChannel> inherited) {
        // Children stay on the loop that accepted them: the kernel spreads SYNs over the SO_REUSEPORT group.
        // No TCP_NODELAY option: Netty's socket channels turn it on when created, setting it again costs a syscall.
        ServerBootstrap b = new ServerBootstrap().group(loop, loop);
        if (inherited != null) {
            b.channelFactory(inherited);
        } else if (kind == ListenerKind.TRANSPARENT) {
            b.channelFactory(transport.dualStackServerChannel()); // TPROXY hands it both families
        } else {
            // An IPv4 frontend gets an IPv4 socket, and so do its accepted children.
            b.channelFactory(transport.serverChannel(address.getAddress() instanceof Inet4Address));
        }
        b.option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, SocketSettings.TCP_WATER_MARK)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.TCP_RECV_ALLOCATOR)
                .childHandler(acceptors.get(kind));
        transport.reusePort(b);
        if (kind == ListenerKind.TRANSPARENT) {
            transport.transparent(b);
        }
        return b;
    }

    /** @param inherited builds the channel over an inherited socket; null to open a new one */
    private Bootstrap udpListener(
            EventLoop loop,
            ListenerKind kind,
            InetSocketAddress address,
            Transport transport,
            ChannelFactory<Channel> inherited) {
        Bootstrap b = new Bootstrap().group(loop);
        if (inherited != null) {
            b.channelFactory(inherited);
        } else if (kind == ListenerKind.TRANSPARENT) {
            b.channelFactory(transport.dualStackDatagramChannel()); // TPROXY hands it both families
        } else {
            // An IPv4 frontend gets an IPv4 socket: no mapped addresses through the kernel and Netty per datagram.
            b.channelFactory(transport.datagramChannel(address.getAddress() instanceof Inet4Address));
        }
        b.option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.AUTO_CLOSE, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.datagramAllocator())
                .handler(udpHandlers.get(kind));
        transport.reusePort(b);
        if (kind == ListenerKind.TRANSPARENT) {
            transport.transparent(b);
            // Only epoll reads it; ioUringLacks sends this listener to epoll under io_uring.
            b.option(EpollChannelOption.IP_RECVORIGDSTADDR, true);
        } else if (engine.config.transparent() && transport.nativeSockets()) {
            // Node mode: a frontend's own socket (IPv6 UDP, see NodeUdp6Listeners) binds a Service address
            // that is on no interface and answers from it; TPROXY hands it the frontend's datagrams.
            transport.transparent(b);
        }
        return b;
    }
}
