package io.vipd.proxy;

import java.util.HashSet;
import java.util.Set;

/** State owned by one event loop and touched only on its thread, so it needs no synchronisation. */
final class LoopState {
    /** TCP relays running on this loop, for shutdown. */
    final Set<TcpRelay> relays = new HashSet<>();
    /** For choosing new flows' backends without allocating. */
    final CandidateScratch scratch = new CandidateScratch();

    final UdpFlowTable udp;
    /** The transport this loop runs: the engine's, or epoll on an io_uring engine's fallback loops. */
    final Transport transport;

    LoopState(Engine engine, ProxyMeters meters, Transport transport) {
        this.transport = transport;
        this.udp = new UdpFlowTable(engine, meters, transport);
    }
}
