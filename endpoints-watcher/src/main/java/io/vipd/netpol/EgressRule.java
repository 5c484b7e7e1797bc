package io.vipd.netpol;

import java.util.List;

/**
 * One entry of a policy's {@code egress}: traffic to any of {@code to} on any of {@code ports}. An empty
 * {@code to} is every destination, an empty {@code ports} every port. Immutable.
 */
public record EgressRule(List<Peer> to, List<PortMatch> ports) {
    public EgressRule {
        to = List.copyOf(to);
        ports = List.copyOf(ports);
    }
}
