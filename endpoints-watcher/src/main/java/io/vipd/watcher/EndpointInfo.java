package io.vipd.watcher;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Set;

/**
 * One EndpointSlice endpoint as kube-proxy reads it: {@code addresses[0]}, conditions with their defaults
 * (ready nil→true, serving nil→true, terminating nil→false), node, zone and hints. A value.
 */
public record EndpointInfo(
        InetAddress ip,
        boolean ready,
        boolean serving,
        boolean terminating,
        String nodeName,
        String zone,
        Set<String> zoneHints,
        Set<String> nodeHints) {
    public EndpointInfo {
        Objects.requireNonNull(ip, "ip");
        nodeName = nodeName == null ? "" : nodeName;
        zone = zone == null ? "" : zone;
        zoneHints = zoneHints == null ? Set.of() : Set.copyOf(zoneHints);
        nodeHints = nodeHints == null ? Set.of() : Set.copyOf(nodeHints);
    }
}
