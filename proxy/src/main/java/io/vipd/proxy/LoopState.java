package io.vipd.proxy;

import java.util.HashSet;
import java.util.Set;

/** State owned by one event loop and touched only on its thread, so it needs no synchronisation. */
final class LoopState {
    /** TCP relays running on this loop, for shutdown. */
    final Set<TcpRelay> relays = new HashSet<>();
    /** Scratch space for preference lists. */
    final int[] scratch = new int[64];
    final UdpFlowTable udp;

    LoopState(Engine engine) {
        this.udp = new UdpFlowTable(engine);
    }
}
