package io.vipd.lb;

import java.util.Comparator;
import java.util.Objects;

/**
 * The identity of one load-balanced service port: (namespace, name, port name, protocol), as kube-proxy's
 * ServicePortName. The same port number over TCP and UDP is two service ports. Immutable.
 */
public record ServicePortName(NamespacedName service, String port, Protocol protocol)
        implements Comparable<ServicePortName> {
    private static final Comparator<ServicePortName> ORDER = Comparator.comparing(ServicePortName::service)
            .thenComparing(ServicePortName::port)
            .thenComparing(ServicePortName::protocol);

    public ServicePortName {
        Objects.requireNonNull(service, "service");
        port = port == null ? "" : port;
        Objects.requireNonNull(protocol, "protocol");
    }

    public static ServicePortName of(String namespace, String name, String port, Protocol protocol) {
        return new ServicePortName(NamespacedName.of(namespace, name), port, protocol);
    }

    @Override
    public int compareTo(ServicePortName o) {
        return ORDER.compare(this, o);
    }

    /** kube-proxy's form: "ns/name:port" ("ns/name" for an unnamed port), then "/PROTOCOL". */
    @Override
    public String toString() {
        return service + (port.isEmpty() ? "" : ":" + port) + "/" + protocol;
    }
}
