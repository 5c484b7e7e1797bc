package io.vipd.bench;

import java.util.List;
import java.util.Objects;

/**
 * One generated Service port as the harness drives it: a ClusterIP-style VIP and port with its endpoints, named the
 * way kube-proxy names service ports ({@code namespace/name:port}). Immutable.
 *
 * @param namespace the Service's namespace
 * @param name      the Service's name
 * @param portName  the service port's name (never empty here, so every generator names it the same way)
 * @param protocol  {@code tcp} or {@code udp}, lower case as kube-proxy writes it into rules
 * @param vip       the ClusterIP, dotted IPv4
 * @param port      the service port
 * @param endpoints the endpoints in the order kube-proxy would write them
 */
public record BenchService(
        String namespace,
        String name,
        String portName,
        String protocol,
        String vip,
        int port,
        List<Endpoint> endpoints) {

    /** An endpoint {@code ip:port}. Immutable. */
    public record Endpoint(String ip, int port) {
        public Endpoint {
            Objects.requireNonNull(ip, "ip");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("endpoint port " + port + " outside 1..65535");
            }
        }

        @Override
        public String toString() {
            return ip + ":" + port;
        }
    }

    public BenchService {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(portName, "portName");
        Objects.requireNonNull(vip, "vip");
        if (!protocol.equals("tcp") && !protocol.equals("udp")) {
            throw new IllegalArgumentException("protocol must be tcp or udp, not " + protocol);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("service port " + port + " outside 1..65535");
        }
        endpoints = List.copyOf(endpoints);
    }

    /** kube-proxy's {@code ServicePortName.String()}: {@code namespace/name:port}. */
    public String servicePortName() {
        return namespace + "/" + name + ":" + portName;
    }

    /** A copy with other endpoints (an endpoint change). */
    public BenchService withEndpoints(List<Endpoint> newEndpoints) {
        return new BenchService(namespace, name, portName, protocol, vip, port, newEndpoints);
    }
}
