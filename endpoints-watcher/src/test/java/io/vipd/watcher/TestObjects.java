package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/** fabric8 objects for tests, after kube-proxy's makeTestService / makeTestEndpointSlice. */
final class TestObjects {
    private TestObjects() {}

    static ServicePort port(String name, String protocol, int port) {
        return new ServicePortBuilder()
                .withName(name)
                .withProtocol(protocol)
                .withPort(port)
                .build();
    }

    static ServicePort nodePort(String name, String protocol, int port, int nodePort) {
        return new ServicePortBuilder()
                .withName(name)
                .withProtocol(protocol)
                .withPort(port)
                .withNodePort(nodePort)
                .build();
    }

    /** A ClusterIP service; {@code edit} adjusts it further. */
    static Service service(
            String ns, String name, String clusterIP, List<ServicePort> ports, UnaryOperator<ServiceBuilder> edit) {
        ServiceBuilder b = new ServiceBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIP)
                .withClusterIPs(clusterIP)
                .withPorts(ports)
                .endSpec();
        return edit.apply(b).build();
    }

    static Service service(String ns, String name, String clusterIP, ServicePort... ports) {
        return service(ns, name, clusterIP, Arrays.asList(ports), b -> b);
    }

    static EndpointPort slicePort(String name, String protocol, Integer port) {
        return new EndpointPortBuilder()
                .withName(name)
                .withProtocol(protocol)
                .withPort(port)
                .build();
    }

    /** A ready endpoint on a node ("" for none). */
    static Endpoint ep(String ip, String node) {
        EndpointBuilder b = new EndpointBuilder().withAddresses(ip);
        if (!node.isEmpty()) {
            b.withNodeName(node);
        }
        return b.build();
    }

    static Endpoint ep(String ip, String node, Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointBuilder()
                .withAddresses(ip)
                .withNodeName(node.isEmpty() ? null : node)
                .withNewConditions()
                .withReady(ready)
                .withServing(serving)
                .withTerminating(terminating)
                .endConditions()
                .build();
    }

    static EndpointSlice slice(
            String ns,
            String name,
            String service,
            String addressType,
            List<EndpointPort> ports,
            Endpoint... endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(ns)
                .withName(name)
                .addToLabels(EndpointSliceConversions.SERVICE_NAME_LABEL, service)
                .endMetadata()
                .withAddressType(addressType)
                .withPorts(ports)
                .withEndpoints(endpoints)
                .build();
    }

    static EndpointSlice slice(String ns, String name, String service, EndpointPort port, Endpoint... endpoints) {
        return slice(ns, name, service, "IPv4", List.of(port), endpoints);
    }

    static Node node(String name, String zone) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels(NodeInfo.ZONE_LABEL, zone)
                .endMetadata()
                .build();
    }
}
