package io.vipd.edge;

import io.vipd.lb.Addresses;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import io.vipd.proxy.ListenerException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Stands in for the listeners when a configuration is only checked ({@link EdgeConfigCheck}): claims each
 * frontend's address in the order a start binds them, and refuses one that an earlier claim covers, as the kernel
 * would refuse its bind. Two listeners of one protocol and port collide when their addresses are equal or one is
 * a wildcard over the other's: 0.0.0.0 covers every IPv4 address, and :: (which a NodePort frontend binds) every
 * address, IPv6 sockets being dual-stack by default. What only a bind can tell (an address another process holds,
 * or one this host does not have) is left out: a file may be checked on another host than the one serving it.
 */
final class ListenAddressClaims implements FrontendListeners {
    private record Claim(InetSocketAddress address, Protocol protocol, String owner) {
        boolean collidesWith(InetSocketAddress other, Protocol otherProtocol) {
            if (protocol != otherProtocol || address.getPort() != other.getPort()) {
                return false;
            }
            InetAddress mine = address.getAddress();
            InetAddress theirs = other.getAddress();
            return mine.equals(theirs) || covers(mine, theirs) || covers(theirs, mine);
        }

        private static boolean covers(InetAddress wildcard, InetAddress other) {
            return wildcard.isAnyLocalAddress() && (wildcard instanceof Inet6Address || other instanceof Inet4Address);
        }
    }

    private final EdgeConfig config;
    private final List<Claim> claims = new ArrayList<>();

    /**
     * @param config         the configuration being checked, to name where a frontend was written
     * @param adminListeners the TCP addresses bound before any frontend, by description (e.g. "the metrics
     *                       listener"), in bind order
     */
    ListenAddressClaims(EdgeConfig config, Map<String, InetSocketAddress> adminListeners) {
        this.config = config;
        adminListeners.forEach(
                (name, address) -> claims.add(new Claim(address, Protocol.TCP, name + " " + Addresses.key(address))));
    }

    @Override
    public void open(Collection<Frontend> frontends) throws ListenerException {
        for (Frontend f : frontends) {
            InetSocketAddress address = f.socketAddress();
            for (Claim c : claims) {
                if (c.collidesWith(address, f.protocol())) {
                    throw new ListenerException(f, "Address already in use (taken by " + c.owner() + ")", null);
                }
            }
            claims.add(new Claim(address, f.protocol(), describe(f)));
        }
    }

    private String describe(Frontend f) {
        ConfigLocation at = config.location(f);
        return f + (at.path().isEmpty() ? "" : " of " + at.path()) + (at.line() > 0 ? " at line " + at.line() : "");
    }

    @Override
    public void accept(Collection<Frontend> frontends) {
        // Nothing listens, so nothing starts accepting.
    }

    @Override
    public void close(Collection<Frontend> frontends) {
        for (Frontend f : frontends) {
            claims.removeIf(c -> c.protocol() == f.protocol() && c.address().equals(f.socketAddress()));
        }
    }
}
