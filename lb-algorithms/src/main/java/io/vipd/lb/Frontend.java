package io.vipd.lb;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The table key: an address, port and protocol that traffic is sent to. A NodePort frontend has no
 * address ({@code address == null}): it matches the port on every selected node address. Immutable.
 */
public record Frontend(InetAddress address, int port, Protocol protocol) {
    public Frontend {
        Addresses.checkPort(port, "frontend");
        Objects.requireNonNull(protocol, "protocol");
    }

    public static Frontend of(InetSocketAddress address, Protocol protocol) {
        return new Frontend(address.getAddress(), address.getPort(), protocol);
    }

    public static Frontend nodePort(int port, Protocol protocol) {
        return new Frontend(null, port, protocol);
    }

    public boolean isNodePort() {
        return address == null;
    }

    public InetSocketAddress socketAddress() {
        return address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port);
    }

    /** "ip:port/TCP", "[v6]:port/UDP", or "*:port/TCP" for a NodePort. */
    @Override
    public String toString() {
        return (address == null ? "*:" + port : Addresses.key(address, port)) + "/" + protocol;
    }
}
