package io.vipd.proxy;

import java.util.HashSet;
import java.util.Set;

/** State owned by one event loop and touched only on its thread, so it needs no synchronisation. */
final class LoopState {
    /** TCP relays running on this loop, for shutdown. */
    final Set<TcpRelay> relays = new HashSet<>();
    /** Scratch arrays for preference lists, by exact length (pickers fill as many entries as the array holds). */
    private final int[][] scratch = new int[Engine.MAX_CANDIDATES + 1][];
    final UdpFlowTable udp;

    int[] scratch(int length) {
        int[] a = scratch[length];
        if (a == null) {
            a = new int[length];
            scratch[length] = a;
        }
        return a;
    }

    LoopState(Engine engine) {
        this.udp = new UdpFlowTable(engine);
    }
}
