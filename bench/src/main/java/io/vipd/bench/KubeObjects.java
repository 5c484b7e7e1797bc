package io.vipd.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders a Service set as the Kubernetes objects {@code vipd node} watches: one ClusterIP Service and one IPv4
 * EndpointSlice (ready endpoints, labelled with its Service's name) per service port, and the Node. Pure.
 */
public final class KubeObjects {
    /** The label that ties an EndpointSlice to its Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private KubeObjects() {}

    public static Service service(BenchService s) {
        String protocol = s.protocol().toUpperCase(Locale.ROOT);
        return new ServiceBuilder()
                .withNewMetadata()
                .withNamespace(s.namespace())
                .withName(s.name())
                .withUid(uid("svc", s))
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(s.vip())
                .withClusterIPs(s.vip())
                .addNewPort()
                .withName(s.portName())
                .withProtocol(protocol)
                .withPort(s.port())
                .endPort()
                .endSpec()
                .build();
    }

    /**
     * The Service's one EndpointSlice. All endpoints must share one port (a slice has one port list); the
     * harness's sets always do.
     */
    public static EndpointSlice slice(BenchService s) {
        List<BenchService.Endpoint> endpoints = s.endpoints();
        if (endpoints.stream().map(BenchService.Endpoint::port).distinct().count() > 1) {
            throw new IllegalArgumentException(s.servicePortName() + ": endpoints on different ports");
        }
        EndpointSliceBuilder b = new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace(s.namespace())
                .withName(s.name() + "-bench")
                .withUid(uid("slice", s))
                .addToLabels(SERVICE_NAME_LABEL, s.name())
                .endMetadata()
                .withAddressType("IPv4");
        if (!endpoints.isEmpty()) {
            b.addNewPort()
                    .withName(s.portName())
                    .withProtocol(s.protocol().toUpperCase(Locale.ROOT))
                    .withPort(endpoints.get(0).port())
                    .endPort();
        }
        for (BenchService.Endpoint e : endpoints) {
            b.addToEndpoints(new EndpointBuilder()
                    .withAddresses(e.ip())
                    .withNewConditions()
                    .withReady(true)
                    .withServing(true)
                    .withTerminating(false)
                    .endConditions()
                    .build());
        }
        return b.build();
    }

    public static Node node(String name) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withUid("node-" + name)
                .endMetadata()
                .build();
    }

    /** The Services and their slices, Services first. */
    public static List<HasMetadata> of(List<BenchService> services) {
        List<HasMetadata> out = new ArrayList<>(services.size() * 2);
        services.forEach(s -> out.add(service(s)));
        services.forEach(s -> out.add(slice(s)));
        return out;
    }

    /** Stable, so that the same service in two states is the same object to a watcher. */
    private static String uid(String kind, BenchService s) {
        return kind + "-" + s.namespace() + "-" + s.name();
    }
}
