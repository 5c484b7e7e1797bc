package io.vipd.proxy;

import io.vipd.lb.Protocol;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether another process already holds an address. vipd's listeners set SO_REUSEPORT so that each event loop
 * gets its own socket, but the kernel then also lets a second vipd (or anything else running as the same user
 * with SO_REUSEPORT) bind the same address, silently splitting the traffic between the two. A plain bind
 * without SO_REUSEPORT still fails against any listener, so vipd tries one first and gives it back.
 */
final class BindProbe {
    private BindProbe() {}

    /** Throws the bind error ("Address already in use") when the address is taken. */
    static void checkFree(InetSocketAddress address, Protocol protocol) throws IOException {
        if (protocol == Protocol.TCP) {
            try (ServerSocket probe = new ServerSocket()) {
                // As the real listener does: a port held only by TIME_WAIT connections is free.
                probe.setReuseAddress(true);
                probe.bind(address, 1);
            }
        } else {
            try (DatagramSocket probe = new DatagramSocket(null)) {
                probe.bind(address);
            }
        }
    }
}
