package io.vipd.watcher;

import static io.vipd.watcher.TestObjects.ep;
import static io.vipd.watcher.TestObjects.nodePort;
import static io.vipd.watcher.TestObjects.port;
import static io.vipd.watcher.TestObjects.service;
import static io.vipd.watcher.TestObjects.slice;
import static io.vipd.watcher.TestObjects.slicePort;
import static io.vipd.watcher.TrackerHarness.NODE;
import static io.vipd.watcher.TrackerHarness.backend;
import static io.vipd.watcher.TrackerHarness.keys;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.vipd.lb.Action;
import io.vipd.lb.Addresses;
import io.vipd.lb.Algorithm;
import io.vipd.lb.BackendState;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Service and EndpointSlice conversion, observed through the table a sync produces. */
class ConversionTest {
    private final TrackerHarness h = new TrackerHarness();

    private void apply(Service svc, EndpointSlice... slices) {
        h.tracker.onServiceUpdate(null, svc);
        for (EndpointSlice s : slices) {
            h.tracker.onEndpointSliceUpdate(s, false);
        }
        h.tracker.sync();
    }

    private static List<String> frontends(ServicePortEntry e) {
        return e.frontends().stream()
                .map(f -> f.type().displayName() + " " + f.frontend())
                .toList();
    }

    @Test
    void slicePortsMatchServicePortsByNameAndProtocol() {
        apply(
                service("ns", "dns", "10.96.0.10", port("dns", "UDP", 53), port("dns-tcp", "TCP", 53)),
                slice(
                        "ns",
                        "dns-1",
                        "dns",
                        "IPv4",
                        List.of(
                                slicePort("dns", "UDP", 5353),
                                slicePort("dns-tcp", "TCP", 5354),
                                slicePort("dns", "TCP", 7777)),
                        ep("10.0.0.1", "")));
        assertThat(keys(h.entry("ns", "dns", "dns", Protocol.UDP).endpoints())).containsExactly("10.0.0.1:5353");
        assertThat(keys(h.entry("ns", "dns", "dns-tcp", Protocol.TCP).endpoints()))
                .containsExactly("10.0.0.1:5354");
        assertThat(h.entry("ns", "dns", "dns", Protocol.TCP)).isNull();
    }

    @Test
    void onlyTheFirstAddressIsUsed() {
        apply(
                service("ns", "a", "10.96.0.1", port("http", "TCP", 80)),
                slice(
                        "ns",
                        "a-1",
                        "a",
                        slicePort("http", "TCP", 8080),
                        new EndpointBuilder()
                                .withAddresses("10.0.0.1", "10.0.0.2")
                                .build()));
        assertThat(keys(h.entry("ns", "a", "http").endpoints())).containsExactly("10.0.0.1:8080");
    }

    @Test
    void duplicateEndpointsAcrossSlicesPreferTheLocalCopy() {
        apply(
                service("ns", "a", "10.96.0.1", port("http", "TCP", 80)),
                slice("ns", "a-1", "a", slicePort("http", "TCP", 8080), ep("10.0.0.1", "")),
                slice("ns", "a-2", "a", slicePort("http", "TCP", 8080), ep("10.0.0.1", NODE)),
                slice("ns", "a-3", "a", slicePort("http", "TCP", 8080), ep("10.0.0.1", "other")));
        ServicePortEntry e = h.entry("ns", "a", "http");
        assertThat(keys(e.endpoints())).containsExactly("10.0.0.1:8080");
        assertThat(backend(e, "10.0.0.1:8080").local()).isTrue();
        assertThat(backend(e, "10.0.0.1:8080").nodeName()).isEqualTo(NODE);
    }

    @Test
    void conditionsDefaultReadyServingNotTerminating() {
        apply(
                service("ns", "a", "10.96.0.1", port("http", "TCP", 80)),
                slice(
                        "ns",
                        "a-1",
                        "a",
                        slicePort("http", "TCP", 80),
                        ep("10.0.0.1", ""), // all nil: ready
                        ep("10.0.0.2", "", false, null, true), // serving nil -> true: serving+terminating
                        ep("10.0.0.3", "", false, false, true), // not serving
                        ep("10.0.0.4", "", false, true, null))); // terminating nil -> false: not usable
        ServicePortEntry e = h.entry("ns", "a", "http");
        assertThat(backend(e, "10.0.0.1:80").state()).isEqualTo(BackendState.READY);
        assertThat(backend(e, "10.0.0.2:80").state()).isEqualTo(BackendState.SERVING_TERMINATING);
        assertThat(backend(e, "10.0.0.3:80").state()).isEqualTo(BackendState.NOT_SERVING);
        assertThat(backend(e, "10.0.0.4:80").state()).isEqualTo(BackendState.NOT_SERVING);
        assertThat(keys(e.clusterEndpoints())).containsExactly("10.0.0.1:80");
    }

    @Test
    void publishNotReadyAddressesMakesEveryEndpointReady() {
        apply(
                service(
                        "ns",
                        "a",
                        "10.96.0.1",
                        List.of(port("http", "TCP", 80)),
                        b -> b.editSpec().withPublishNotReadyAddresses(true).endSpec()),
                slice("ns", "a-1", "a", slicePort("http", "TCP", 80), ep("10.0.0.1", "", false, false, false)));
        assertThat(keys(h.entry("ns", "a", "http").clusterEndpoints())).containsExactly("10.0.0.1:80");
    }

    @Test
    void namedTargetPortsComeFromEachSlice() {
        apply(
                service("ns", "web", "10.96.0.2", port("http", "TCP", 80)),
                slice("ns", "web-1", "web", slicePort("http", "TCP", 8080), ep("10.0.0.1", "")),
                slice("ns", "web-2", "web", slicePort("http", "TCP", 9090), ep("10.0.0.2", "")));
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints()))
                .containsExactly("10.0.0.1:8080", "10.0.0.2:9090");
    }

    @Test
    void badSlicesAndFieldsAreSkippedAndCounted() {
        Service svc = service("ns", "a", "10.96.0.1", port("http", "TCP", 80));
        EndpointSlice fqdn = slice(
                "ns",
                "a-fqdn",
                "a",
                "FQDN",
                List.of(slicePort("http", "TCP", 80)),
                new EndpointBuilder().withAddresses("db.example.com").build());
        EndpointSlice noLabel = new EndpointSliceBuilder(
                        slice("ns", "a-nolabel", "a", slicePort("http", "TCP", 80), ep("10.0.0.9", "")))
                .editMetadata()
                .withLabels(java.util.Map.of())
                .endMetadata()
                .build();
        EndpointSlice bad = slice(
                "ns",
                "a-1",
                "a",
                "IPv4",
                List.of(slicePort("http", "TCP", 80), slicePort("http", "UDP", null), slicePort(null, "TCP", 81)),
                ep("10.0.0.1", ""),
                ep("not-an-ip", ""),
                new EndpointBuilder().build());
        apply(svc, fqdn, noLabel, bad);
        assertThat(keys(h.entry("ns", "a", "http").endpoints())).containsExactly("10.0.0.1:80");
        assertThat(h.skipped(SkipReason.FQDN_SLICE)).isEqualTo(1);
        assertThat(h.skipped(SkipReason.SLICE_WITHOUT_SERVICE_LABEL)).isEqualTo(1);
        assertThat(h.skipped(SkipReason.BAD_ADDRESS)).isEqualTo(1);
        assertThat(h.skipped(SkipReason.ENDPOINT_WITHOUT_ADDRESS)).isEqualTo(1);
        assertThat(h.skipped(SkipReason.PORT_WITHOUT_NUMBER)).isEqualTo(1);
        assertThat(h.skipped(SkipReason.PORT_WITHOUT_NAME)).isEqualTo(1);
    }

    @Test
    void aSliceLosingItsServiceLabelKeepsItsLastGoodState() {
        apply(
                service("ns", "a", "10.96.0.1", port("http", "TCP", 80)),
                slice("ns", "a-1", "a", slicePort("http", "TCP", 80), ep("10.0.0.1", "")));
        EndpointSlice relabelled = new EndpointSliceBuilder(slice("ns", "a-1", "a", slicePort("http", "TCP", 80)))
                .editMetadata()
                .withLabels(java.util.Map.of())
                .endMetadata()
                .build();
        assertThat(h.tracker.onEndpointSliceUpdate(relabelled, false)).isFalse();
        h.tracker.sync();
        assertThat(keys(h.entry("ns", "a", "http").endpoints())).containsExactly("10.0.0.1:80");
    }

    @Test
    void dualStackServiceGetsBothFamiliesAndSingleStackIgnoresTheOther() {
        Service dual = service(
                "ns",
                "d",
                "10.96.0.3",
                List.of(port("http", "TCP", 80)),
                b -> b.editSpec()
                        .withClusterIPs("10.96.0.3", "fd00::3")
                        .withIpFamilies("IPv4", "IPv6")
                        .endSpec());
        apply(
                dual,
                slice("ns", "d-v4", "d", "IPv4", List.of(slicePort("http", "TCP", 8080)), ep("10.0.0.1", "")),
                slice("ns", "d-v6", "d", "IPv6", List.of(slicePort("http", "TCP", 8080)), ep("fd00::1", "")));
        ServicePortEntry e = h.entry("ns", "d", "http");
        assertThat(frontends(e)).containsExactly("ClusterIP 10.96.0.3:80/TCP", "ClusterIP [fd00::3]:80/TCP");
        assertThat(keys(e.clusterEndpoints())).containsExactly("10.0.0.1:8080", "[fd00::1]:8080");

        apply(
                service("ns", "s", "10.96.0.4", port("http", "TCP", 80)),
                slice("ns", "s-v6", "s", "IPv6", List.of(slicePort("http", "TCP", 8080)), ep("fd00::9", "")),
                slice("ns", "s-v4", "s", "IPv4", List.of(slicePort("http", "TCP", 8080)), ep("10.0.0.9", "")));
        assertThat(keys(h.entry("ns", "s", "http").endpoints())).containsExactly("10.0.0.9:8080");
    }

    @Test
    void headlessExternalNameAndOtherProxiesServicesAreSkipped() {
        apply(
                service("ns", "headless", "None", port("http", "TCP", 80)),
                slice("ns", "headless-1", "headless", slicePort("http", "TCP", 80), ep("10.0.0.1", "")));
        apply(service(
                "ns",
                "ext",
                "10.96.0.5",
                List.of(port("http", "TCP", 80)),
                b -> b.editSpec()
                        .withType("ExternalName")
                        .withExternalName("example.com")
                        .endSpec()));
        apply(service(
                "ns",
                "other",
                "10.96.0.6",
                List.of(port("http", "TCP", 80)),
                b -> b.editMetadata()
                        .addToLabels(ServiceConversions.SERVICE_PROXY_NAME_LABEL, "x")
                        .endMetadata()));
        assertThat(h.table.size()).isZero();

        Service web = service("ns", "web", "10.96.0.7", port("http", "TCP", 80));
        apply(web);
        assertThat(h.table.size()).isEqualTo(1);
        Service toExternalName = new ServiceBuilder(web)
                .editSpec()
                .withType("ExternalName")
                .withExternalName("example.com")
                .endSpec()
                .build();
        h.tracker.onServiceUpdate(web, toExternalName);
        assertThat(h.tracker.sync().removed()).hasSize(1);
        assertThat(h.table.size()).isZero();
    }

    @Test
    void frontendsPerPortWithIpModeProxyIgnored() {
        Service lb = service(
                "ns",
                "lb",
                "10.96.0.8",
                List.of(nodePort("http", "TCP", 80, 30080)),
                b -> b.editSpec()
                        .withType("LoadBalancer")
                        .withExternalIPs("192.0.2.10", "2001:db8::1")
                        .endSpec()
                        .withNewStatus()
                        .withNewLoadBalancer()
                        .addNewIngress()
                        .withIp("198.51.100.1")
                        .endIngress()
                        .addNewIngress()
                        .withIp("198.51.100.2")
                        .withIpMode("VIP")
                        .endIngress()
                        .addNewIngress()
                        .withIp("198.51.100.3")
                        .withIpMode("Proxy")
                        .endIngress()
                        .addNewIngress()
                        .withHostname("lb.example.com")
                        .endIngress()
                        .endLoadBalancer()
                        .endStatus());
        apply(lb);
        ServicePortEntry e = h.entry("ns", "lb", "http");
        assertThat(frontends(e))
                .containsExactly(
                        "ClusterIP 10.96.0.8:80/TCP",
                        "NodePort *:30080/TCP",
                        "ExternalIP 192.0.2.10:80/TCP",
                        "LoadBalancer 198.51.100.1:80/TCP",
                        "LoadBalancer 198.51.100.2:80/TCP");
        // no endpoints at all: every frontend rejects
        for (ServiceFrontend f : e.frontends()) {
            assertThat(e.route(f.type(), false).action()).isEqualTo(Action.REJECT);
        }
    }

    @Test
    void sourceRangesAreTrimmedPerFamilyAndAddTheVipsWhenTheNodeIsInside() {
        Service lb = service(
                "ns",
                "lb",
                "10.96.0.8",
                List.of(nodePort("http", "TCP", 80, 30080)),
                b -> b.editSpec()
                        .withType("LoadBalancer")
                        .withLoadBalancerSourceRanges(" 203.0.113.0/24 ", "2001:db8::/32", "garbage")
                        .endSpec()
                        .withNewStatus()
                        .withNewLoadBalancer()
                        .addNewIngress()
                        .withIp("198.51.100.1")
                        .endIngress()
                        .endLoadBalancer()
                        .endStatus());
        apply(lb);
        ServicePortEntry e = h.entry("ns", "lb", "http");
        assertThat(e.sourceRanges()).extracting(Object::toString).containsExactly("203.0.113.0/24");
        assertThat(h.skipped(SkipReason.BAD_SERVICE_FIELD)).isEqualTo(1);
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("203.0.113.7")))
                .isTrue();
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("198.51.100.1")))
                .isFalse();
        assertThat(e.sourceAllowed(FrontendType.NODE_PORT, Addresses.parseIp("198.51.100.1")))
                .isTrue();

        h.tracker.onNodeUpdate(new NodeBuilder()
                .withNewMetadata()
                .withName(NODE)
                .endMetadata()
                .withNewStatus()
                .addNewAddress()
                .withType("InternalIP")
                .withAddress("203.0.113.5")
                .endAddress()
                .endStatus()
                .build());
        h.tracker.sync();
        e = h.entry("ns", "lb", "http");
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("198.51.100.1")))
                .isTrue();
    }

    @Test
    void sessionAffinityAndAnnotations() {
        apply(service(
                "ns",
                "a",
                "10.96.0.1",
                List.of(port("http", "TCP", 80)),
                b -> b.editSpec().withSessionAffinity("ClientIP").endSpec()));
        assertThat(h.entry("ns", "a", "http").affinityTimeoutSeconds()).isEqualTo(10800);
        apply(service(
                "ns",
                "b",
                "10.96.0.2",
                List.of(port("http", "TCP", 80)),
                b -> b.editSpec()
                        .withSessionAffinity("ClientIP")
                        .withNewSessionAffinityConfig()
                        .withNewClientIP()
                        .withTimeoutSeconds(60)
                        .endClientIP()
                        .endSessionAffinityConfig()
                        .endSpec()
                        .editMetadata()
                        .addToAnnotations(ServiceConversions.ALGORITHM_ANNOTATION, "round-robin")
                        .addToAnnotations(ServiceConversions.PROXY_PROTOCOL_ANNOTATION, "v2")
                        .endMetadata()));
        ServicePortEntry b = h.entry("ns", "b", "http");
        assertThat(b.affinityTimeoutSeconds()).isEqualTo(60);
        assertThat(b.algorithm()).isEqualTo(Algorithm.ROUND_ROBIN);
        assertThat(b.proxyProtocol()).isEqualTo(ProxyProtocol.V2);
        apply(service(
                "ns",
                "c",
                "10.96.0.3",
                List.of(port("http", "TCP", 80)),
                x -> x.editMetadata()
                        .addToAnnotations(ServiceConversions.ALGORITHM_ANNOTATION, "fastest")
                        .endMetadata()));
        assertThat(h.entry("ns", "c", "http").algorithm()).isEqualTo(Algorithm.MAGLEV);
        assertThat(h.entry("ns", "c", "http").affinityTimeoutSeconds()).isZero();
    }

    @Test
    void routesFollowTrafficPolicies() {
        Service svc = service(
                "ns",
                "a",
                "10.96.0.1",
                List.of(nodePort("http", "TCP", 80, 30080)),
                b -> b.editSpec()
                        .withType("NodePort")
                        .withInternalTrafficPolicy("Local")
                        .withExternalTrafficPolicy("Local")
                        .endSpec());
        apply(svc, slice("ns", "a-1", "a", slicePort("http", "TCP", 80), ep("10.0.0.1", "other")));
        ServicePortEntry e = h.entry("ns", "a", "http");
        assertThat(e.internalRoute().action()).isEqualTo(Action.DROP);
        assertThat(e.externalRoute().action()).isEqualTo(Action.DROP);
        assertThat(e.route(FrontendType.NODE_PORT, true).action()).isEqualTo(Action.FORWARD);
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_no_local_endpoints_total")
                        .tag("traffic_policy", "internal")
                        .gauge()
                        .value())
                .isEqualTo(1);
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_no_local_endpoints_total")
                        .tag("traffic_policy", "external")
                        .gauge()
                        .value())
                .isEqualTo(1);

        h.tracker.onEndpointSliceUpdate(
                slice("ns", "a-1", "a", slicePort("http", "TCP", 80), ep("10.0.0.1", "other"), ep("10.0.0.2", NODE)),
                false);
        h.tracker.sync();
        e = h.entry("ns", "a", "http");
        assertThat(e.internalRoute().action()).isEqualTo(Action.FORWARD);
        assertThat(keys(e.internalRoute().backends())).containsExactly("10.0.0.2:80");
        assertThat(keys(e.route(FrontendType.NODE_PORT, true).backends()))
                .containsExactly("10.0.0.1:80", "10.0.0.2:80");
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_no_local_endpoints_total")
                        .tag("traffic_policy", "internal")
                        .gauge()
                        .value())
                .isZero();
    }

    @Test
    void backendsCarryNodeZoneAndHints() {
        apply(
                service("ns", "a", "10.96.0.1", port("http", "TCP", 80)),
                slice(
                        "ns",
                        "a-1",
                        "a",
                        slicePort("http", "TCP", 80),
                        new EndpointBuilder()
                                .withAddresses("10.0.0.1")
                                .withNodeName("n2")
                                .withZone("z1")
                                .withNewHints()
                                .addNewForZone("z1")
                                .addNewForNode("n2")
                                .endHints()
                                .build()));
        var b = backend(h.entry("ns", "a", "http"), "10.0.0.1:80");
        assertThat(b.nodeName()).isEqualTo("n2");
        assertThat(b.zone()).isEqualTo("z1");
        assertThat(b.zoneHints()).containsExactly("z1");
        assertThat(b.nodeHints()).containsExactly("n2");
        assertThat(b.local()).isFalse();
    }
}
