package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;

/**
 * The UDP flows of one event loop, keyed by (client, frontend). Only its loop touches it, so it is a plain
 * HashMap. The engine-wide count is bounded by {@link ProxyConfig#udpMaxFlows()}: when full, the first
 * datagram of a new flow is dropped (counted as an eviction with reason "full") and existing flows carry on.
 */
final class UdpFlowTable implements UdpFlow.Owner {
    private final Engine engine;
    private final ProxyMeters meters;
    /** The transport of the loop that owns this table, which its flows' sockets must be of. */
    private final Transport transport;

    private final HashMap<UdpFlowKey, UdpFlow> flows = new HashMap<>();

    UdpFlowTable(Engine engine, ProxyMeters meters, Transport transport) {
        this.transport = transport;
        this.engine = engine;
        this.meters = meters;
    }

    UdpFlow get(UdpFlowKey key) {
        return flows.get(key);
    }

    int size() {
        return flows.size();
    }

    /**
     * Starts a flow to {@code backend}, or returns null when the table is full.
     *
     * @param listener   the socket that received the datagram; replies go out through it unless it is node
     *                   mode's transparent listener (on another port)
     * @param onFrontend whether the listener is bound to the frontend itself (a frontend's own listener)
     * @param keepClient node mode: the backend socket is bound to the client's address (IP_TRANSPARENT, any
     *                   port), so the backend sees the client's address
     */
    UdpFlow create(
            UdpFlowKey key,
            ServiceRuntime service,
            Backend backend,
            Channel listener,
            boolean onFrontend,
            EventLoop loop,
            boolean keepClient) {
        if (meters.udpFlows.incrementAndGet() > engine.config.udpMaxFlows()) {
            meters.udpFlows.decrementAndGet();
            meters.udpDroppedFull.increment();
            return null;
        }
        Channel replyVia = listener;
        UdpFlow[] holder = new UdpFlow[1];
        boolean ownReplySocket = !onFrontend && engine.config.transparent() && transport.nativeSockets();
        if (ownReplySocket) {
            replyVia = transparentReplySocket(key, loop, holder);
        }
        BackendRuntime runtime = service.backend(backend.key());
        UdpFlow flow = new UdpFlow(this, key, service, runtime, replyVia, ownReplySocket);
        holder[0] = flow;
        flow.lastSeen = System.nanoTime();
        flows.put(key, flow);
        service.udpFlows.incrementAndGet();
        runtime.connected();
        // An IPv4 backend gets an IPv4 socket, unless it must be bound to a client address of the other family.
        boolean ipv4 = backend.ip() instanceof Inet4Address
                && (!keepClient || key.client().getAddress() instanceof Inet4Address);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channelFactory(transport.datagramChannel(ipv4))
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.AUTO_CLOSE, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.datagramAllocator())
                .handler(flow.backendHandler());
        if (keepClient) {
            // The `socket transparent` rule and policy routing deliver the backend's replies to this socket.
            transport.transparent(b);
            b.localAddress(new InetSocketAddress(key.client().getAddress(), 0));
        }
        flow.connecting(b.connect(backend.socketAddress()));
        return flow;
    }

    /**
     * Node mode: the listener is the TPROXY socket on another port, so replies need a socket bound to the
     * frontend address itself (IP_TRANSPARENT allows binding a non-local address). It is also connected to
     * the client: a connected socket matches only its own 4-tuple, so TPROXY's socket lookup hands it this
     * client's later datagrams (which join the same flow) and never another client's, as an unconnected
     * socket in the SO_REUSEPORT group could.
     */
    private Channel transparentReplySocket(UdpFlowKey key, EventLoop loop, UdpFlow[] holder) {
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channelFactory(transport.dualStackDatagramChannel())
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.AUTO_CLOSE, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, SocketSettings.datagramAllocator())
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        UdpFlow flow = holder[0];
                        if (flow != null && msg instanceof DatagramPacket) {
                            flow.send(((DatagramPacket) msg).content(), System.nanoTime());
                        } else {
                            ReferenceCountUtil.release(msg);
                        }
                    }
                });
        transport.reusePort(b);
        transport.transparent(b);
        return b.localAddress(key.frontend()).connect(key.client()).channel();
    }

    @Override
    public void backendUnreachable(UdpFlow flow) {
        evict(flow, meters.udpEvictedUnreachable, AccessLogResult.CONNECT_FAILED);
    }

    private void evict(UdpFlow flow, Counter reason, AccessLogResult result) {
        if (flows.remove(flow.key) != flow) {
            return;
        }
        reason.increment();
        release(flow, result);
    }

    private void release(UdpFlow flow, AccessLogResult result) {
        flow.close();
        report(flow);
        AccessLog accessLog = engine.accessLog;
        if (accessLog != null) {
            accessLog.offer(new AccessLogEntry(
                    flow.startMillis,
                    (System.nanoTime() - flow.startNanos) / 1_000_000,
                    flow.key.client(),
                    flow.key.frontend(),
                    flow.service.tag,
                    flow.backend.key,
                    flow.rxTotal,
                    flow.txTotal,
                    result,
                    0));
        }
        flow.service.udpFlows.decrementAndGet();
        flow.backend.disconnected();
        meters.udpFlows.decrementAndGet();
    }

    private static void report(UdpFlow flow) {
        if (flow.rx != 0) {
            flow.service.rxBytes.increment(flow.rx);
            flow.rxTotal += flow.rx;
            flow.rx = 0;
        }
        if (flow.tx != 0) {
            flow.service.txBytes.increment(flow.tx);
            flow.txTotal += flow.tx;
            flow.tx = 0;
        }
    }

    /** Evicts flows idle for longer than the UDP idle timeout and reports the others' bytes. */
    void sweep() {
        long now = System.nanoTime();
        List<UdpFlow> idle = null;
        for (UdpFlow f : flows.values()) {
            if (now - f.lastSeen >= engine.udpIdleNanos) {
                if (idle == null) {
                    idle = new ArrayList<>();
                }
                idle.add(f);
            } else {
                report(f);
            }
        }
        if (idle != null) {
            for (UdpFlow f : idle) {
                evict(f, meters.udpEvictedIdle, AccessLogResult.IDLE_TIMEOUT);
            }
        }
    }

    /** Evicts the flows of changed service ports whose backend is no longer a serving endpoint. */
    void onTableChanged(Set<ServicePortName> changed) {
        List<UdpFlow> gone = null;
        for (UdpFlow f : flows.values()) {
            if (!changed.contains(f.service.name)) {
                continue;
            }
            ServicePortEntry entry = engine.table.get(f.service.name);
            if (entry == null || !serving(entry.endpoints(), f.backend.key)) {
                if (gone == null) {
                    gone = new ArrayList<>();
                }
                gone.add(f);
            }
        }
        if (gone != null) {
            for (UdpFlow f : gone) {
                evict(f, meters.udpEvictedBackendGone, AccessLogResult.OK);
            }
        }
    }

    private static boolean serving(BackendSet endpoints, String key) {
        int i = endpoints.indexOf(key);
        return i >= 0 && endpoints.get(i).state().serving();
    }

    /** Forgets the flows that answer through a listener (after a hand-over, once that listener is closing). */
    void closeAnsweringViaListeners() {
        List<UdpFlow> via = new ArrayList<>();
        for (UdpFlow f : flows.values()) {
            if (!f.ownsReplyVia) {
                via.add(f);
            }
        }
        for (UdpFlow f : via) {
            flows.remove(f.key);
            release(f, AccessLogResult.OK);
        }
    }

    /** Forgets every flow (shutdown). */
    void closeAll() {
        List<UdpFlow> all = new ArrayList<>(flows.values());
        flows.clear();
        for (UdpFlow f : all) {
            release(f, AccessLogResult.OK);
        }
    }

    static InetSocketAddress frontendOf(Channel listener) {
        return (InetSocketAddress) listener.localAddress();
    }
}
