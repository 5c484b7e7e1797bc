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

    LoopState(Engine engine, ProxyMeters meters) {
        this.udp = new UdpFlowTable(engine, meters);
    }
}
