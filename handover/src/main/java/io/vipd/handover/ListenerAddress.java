package io.vipd.handover;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * What a listening socket was bound to, as the process that bound it asked: the key under which a successor
 * claims the socket. The requested address, not {@code getsockname}'s answer, so that both processes name a
 * wildcard or a dual-stack socket the same way. Immutable.
 */
public record ListenerAddress(Transport transport, InetSocketAddress address) {
    /** The socket type: a TCP listener or a UDP socket that receives a frontend's datagrams. */
    public enum Transport {
        TCP,
        UDP
    }

    public ListenerAddress {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved listener address " + address);
        }
    }

    public static ListenerAddress tcp(InetSocketAddress address) {
        return new ListenerAddress(Transport.TCP, address);
    }

    public static ListenerAddress udp(InetSocketAddress address) {
        return new ListenerAddress(Transport.UDP, address);
    }

    /** One line of the hand-over's offer: {@code tcp 198.19.0.1 80}. */
    String toLine() {
        return transport.name().toLowerCase(java.util.Locale.ROOT) + " "
                + address.getAddress().getHostAddress() + " " + address.getPort();
    }

    static ListenerAddress parseLine(String line) {
        String[] f = line.trim().split(" ");
        if (f.length != 3) {
            throw new IllegalArgumentException("bad listener line: " + line);
        }
        Transport t = Transport.valueOf(f[0].toUpperCase(java.util.Locale.ROOT));
        try {
            // Only literal addresses are ever written, so this never resolves a name.
            return new ListenerAddress(t, new InetSocketAddress(InetAddress.getByName(f[1]), Integer.parseInt(f[2])));
        } catch (UnknownHostException | NumberFormatException e) {
            throw new IllegalArgumentException("bad listener line: " + line, e);
        }
    }

    @Override
    public String toString() {
        return toLine();
    }
}
