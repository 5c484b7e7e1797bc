package io.vipd.netpol;

import io.vipd.lb.Protocol;
import java.util.Objects;

/**
 * One entry of an egress rule's {@code ports}: a protocol and either a numeric port (with {@code endPort}, the
 * inclusive range {@code port..endPort}), a named port (looked up in the destination pod's container ports), or
 * no port at all (every port of the protocol). Immutable.
 *
 * @param protocol TCP when the policy left it out
 * @param first    the port, or 0 for every port or a named port
 * @param last     the last port of the range ({@code endPort}, else {@code first}); 65535 for every port
 * @param name     the named port, or null
 */
public record PortMatch(Protocol protocol, int first, int last, String name) {
    public PortMatch {
        Objects.requireNonNull(protocol, "protocol");
        if (name == null && (first < 0 || last > 65535 || first > last)) {
            throw new IllegalArgumentException("bad port range " + first + ".." + last);
        }
    }

    public static PortMatch allPorts(Protocol protocol) {
        return new PortMatch(protocol, 0, 65535, null);
    }

    public static PortMatch number(Protocol protocol, int port) {
        return new PortMatch(protocol, port, port, null);
    }

    public static PortMatch range(Protocol protocol, int port, int endPort) {
        return new PortMatch(protocol, port, endPort, null);
    }

    public static PortMatch named(Protocol protocol, String name) {
        return new PortMatch(protocol, 0, 0, Objects.requireNonNull(name, "name"));
    }

    public boolean isNamed() {
        return name != null;
    }

    /** For a numeric entry: whether it covers this protocol and port. */
    boolean covers(Protocol p, int port) {
        return name == null && p == protocol && port >= first && port <= last;
    }
}
