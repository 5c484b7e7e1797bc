package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Addresses;
import io.vipd.lb.FrontendEntry;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceTable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Kubernetes objects and the watcher wiring shared by the KubernetesSource tests. */
final class KubernetesSourceFixtures {
    static final String NODE = "node-a";
    static final Duration TIMEOUT = Duration.ofSeconds(15);

    private KubernetesSourceFixtures() {}

    /** A ClusterIP Service with one TCP port "http" per given port number, one ClusterIP per given address. */
    static Service service(String name, int port, String... clusterIps) {
        boolean dual = clusterIps.length > 1;
        List<String> families = new ArrayList<>();
        for (String ip : clusterIps) {
            families.add(ip.contains(":") ? "IPv6" : "IPv4");
        }
        return new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("default")
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIps[0])
                .withClusterIPs(clusterIps)
                .withIpFamilies(families)
                .withIpFamilyPolicy(dual ? "RequireDualStack" : "SingleStack")
                .addNewPort()
                .withName("http")
                .withPort(port)
                .withProtocol("TCP")
                .withTargetPort(new IntOrString(8080))
                .endPort()
                .endSpec()
                .build();
    }

    /** An EndpointSlice of a service: port "http" 8080/TCP, every address ready, serving and not terminating. */
    static EndpointSlice familySlice(String name, String service, String addressType, String... ips) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String ip : ips) {
            endpoints.add(new EndpointBuilder()
                    .withAddresses(ip)
                    .withNodeName(NODE)
                    .withNewConditions()
                    .withReady(true)
                    .withServing(true)
                    .withTerminating(false)
                    .endConditions()
                    .build());
        }
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace("default")
                .withName(name)
                .addToLabels("kubernetes.io/service-name", service)
                .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
                .endMetadata()
                .withAddressType(addressType)
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .withProtocol("TCP")
                .endPort()
                .withEndpoints(endpoints)
                .build();
    }

    static EndpointSlice slice(String name, String service, String... ipv4s) {
        return familySlice(name, service, "IPv4", ipv4s);
    }

    static Node node(String zone) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(NODE)
                .addToLabels("topology.kubernetes.io/zone", zone)
                .endMetadata()
                .build();
    }

    /** The object with one more label (null value: the label removed). */
    static <T extends HasMetadata> T labelled(T object, String key, String value) {
        Map<String, String> labels = object.getMetadata().getLabels() == null
                ? new HashMap<>()
                : new HashMap<>(object.getMetadata().getLabels());
        if (value == null) {
            labels.remove(key);
        } else {
            labels.put(key, value);
        }
        object.getMetadata().setLabels(labels);
        return object;
    }

    /**
     * The sorted backend keys ClusterIP traffic to ip:port is sent to (by the route of ip's family); an empty list
     * when the frontend exists without usable endpoints, null when the table has no such frontend.
     */
    static List<String> backends(ServiceTable table, String ip, int port) {
        InetSocketAddress frontend = new InetSocketAddress(Addresses.parseIp(ip), port);
        FrontendEntry e = table.lookup(Protocol.TCP, frontend);
        if (e == null) {
            return null;
        }
        boolean ipv6 = frontend.getAddress() instanceof java.net.Inet6Address;
        String[] keys = e.entry().route(e.type(), false, ipv6).backends().keys().toArray(new String[0]);
        Arrays.sort(keys);
        return List.of(keys);
    }

    /** A client of the fake API server: HTTP (chunked) watches, fast reconnects, no request retries. */
    static KubernetesClient fakeServerClient(int port) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + port)
                .withOnlyHttpWatches(true)
                .withWatchReconnectInterval(100)
                .withRequestRetryBackoffLimit(0)
                .withConnectionTimeout(2_000)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** Tracker, runner and source around a client, syncing as fast as it can. */
    static WatcherRuntime runtime(
            KubernetesClient client, ServiceTable table, SimpleMeterRegistry registry, SyncObserver observer) {
        return new WatcherRuntime(
                client,
                NODE,
                FeatureGates.defaults(),
                table,
                registry,
                observer,
                Duration.ZERO,
                Duration.ofMillis(100),
                Duration.ofHours(1));
    }
}
