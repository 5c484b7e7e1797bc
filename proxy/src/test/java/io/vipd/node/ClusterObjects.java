package io.vipd.node;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import java.util.function.UnaryOperator;

/** fabric8 objects for the end-to-end tests, after kube-proxy's makeTestService. Test helper. */
final class ClusterObjects {
    static final String NS = "e2e";

    private ClusterObjects() {}

    static Node node(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    }

    /** A ClusterIP service with one port "p" (protocol, port → targetPort), edited by {@code edit}. */
    static Service service(
            String name,
            String clusterIp,
            String protocol,
            int port,
            int targetPort,
            UnaryOperator<ServiceBuilder> edit) {
        ServiceBuilder b = new ServiceBuilder()
                .withNewMetadata()
                .withNamespace(NS)
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .withIpFamilies("IPv4")
                .addNewPort()
                .withName("p")
                .withProtocol(protocol)
                .withPort(port)
                .withTargetPort(new IntOrString(targetPort))
                .endPort()
                .endSpec();
        return edit.apply(b).build();
    }

    /** The service's single slice, with port "p" and these endpoints. */
    static EndpointSlice slice(String service, String protocol, int port, List<Endpoint> endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(NS)
                .withName(service + "-1")
                .addToLabels("kubernetes.io/service-name", service)
                .endMetadata()
                .withAddressType("IPv4")
                .withEndpoints(endpoints)
                .addNewPort()
                .withName("p")
                .withProtocol(protocol)
                .withPort(port)
                .endPort()
                .build();
    }

    static Endpoint ready(String ip, String nodeName) {
        return new EndpointBuilder()
                .withAddresses(ip)
                .withNodeName(nodeName)
                .withNewConditions()
                .withReady(true)
                .withServing(true)
                .withTerminating(false)
                .endConditions()
                .build();
    }
}
