package io.vipd.lb;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;

/**
 * One endpoint a service port can send traffic to. Immutable.
 *
 * @param ip        the endpoint address (EndpointSlice {@code addresses[0]})
 * @param port      1..65535
 * @param weight    relative share of new flows; 0 receives no new flows
 * @param nodeName  the node the endpoint runs on, or "" when unknown
 * @param zone      the endpoint's zone, or ""
 * @param state     READY, SERVING_TERMINATING or NOT_SERVING
 * @param local     whether the endpoint runs on this node
 * @param zoneHints EndpointSlice hints.forZones names
 * @param nodeHints EndpointSlice hints.forNodes names
 */
public record Backend(
        InetAddress ip,
        int port,
        int weight,
        String nodeName,
        String zone,
        BackendState state,
        boolean local,
        Set<String> zoneHints,
        Set<String> nodeHints) {
    public static final int DEFAULT_WEIGHT = 1;

    public Backend {
        Objects.requireNonNull(ip, "ip");
        Addresses.checkPort(port, Addresses.key(ip, Math.max(port, 0)));
        if (weight < 0) {
            throw new IllegalArgumentException("negative weight " + weight + " for " + Addresses.key(ip, port));
        }
        nodeName = nodeName == null ? "" : nodeName;
        zone = zone == null ? "" : zone;
        state = state == null ? BackendState.READY : state;
        zoneHints = zoneHints == null ? Set.of() : Set.copyOf(zoneHints);
        nodeHints = nodeHints == null ? Set.of() : Set.copyOf(nodeHints);
    }

    /** A ready backend of weight 1 with no topology: the edge (file) case. */
    public static Backend of(InetAddress ip, int port) {
        return new Backend(ip, port, DEFAULT_WEIGHT, "", "", BackendState.READY, false, Set.of(), Set.of());
    }

    public static Backend of(InetSocketAddress address, int weight) {
        return new Backend(
                address.getAddress(), address.getPort(), weight, "", "", BackendState.READY, false, Set.of(), Set.of());
    }

    /** Parses "ip:port" or "[v6]:port". */
    public static Backend parse(String ipPort) {
        return of(Addresses.parseIpPort(ipPort), DEFAULT_WEIGHT);
    }

    /** Parses "ip:port[=weight]", the form {@code vipd maglev} takes. */
    public static Backend parseWeighted(String spec) {
        int eq = spec.indexOf('=');
        if (eq < 0) {
            return parse(spec);
        }
        int weight;
        try {
            weight = Integer.parseInt(spec.substring(eq + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad weight in \"" + spec + "\"");
        }
        if (weight < 0) {
            throw new IllegalArgumentException("negative weight in \"" + spec + "\"");
        }
        return of(Addresses.parseIpPort(spec.substring(0, eq)), weight);
    }

    /** The canonical key "ip:port" ("[v6]:port", RFC 5952). MUST NOT change: Maglev tables hash it. */
    public String key() {
        return Addresses.key(ip, port);
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(ip, port);
    }

    public Backend withState(BackendState newState) {
        return new Backend(ip, port, weight, nodeName, zone, newState, local, zoneHints, nodeHints);
    }

    public Backend withWeight(int newWeight) {
        return new Backend(ip, port, newWeight, nodeName, zone, state, local, zoneHints, nodeHints);
    }

    @Override
    public String toString() {
        return key();
    }
}
