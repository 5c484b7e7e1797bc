package io.vipd.watcher;

import io.vipd.lb.NamespacedName;
import io.vipd.lb.Protocol;
import java.util.List;
import java.util.Objects;

/**
 * One EndpointSlice, projected: the service it belongs to, its usable ports and endpoints. A value, so a
 * re-delivered or metadata-only update compares equal and collapses.
 */
public record EndpointSliceInfo(
        NamespacedName service, String sliceName, List<Port> ports, List<EndpointInfo> endpoints) {
    public EndpointSliceInfo {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(sliceName, "sliceName");
        ports = List.copyOf(ports);
        endpoints = List.copyOf(endpoints);
    }

    /** A slice port: matched to a service port by name and protocol; {@code port} is the number to dial. */
    public record Port(String name, Protocol protocol, int port) {}

    /** The number this slice gives for the service port (name, protocol), or 0 when it has none. */
    public int portFor(String name, Protocol protocol) {
        for (Port p : ports) {
            if (p.name().equals(name) && p.protocol() == protocol) {
                return p.port();
            }
        }
        return 0;
    }
}
