package io.vipd.watcher;

import static io.vipd.watcher.TestObjects.ep;
import static io.vipd.watcher.TestObjects.nodePort;
import static io.vipd.watcher.TestObjects.service;
import static io.vipd.watcher.TestObjects.slice;
import static io.vipd.watcher.TestObjects.slicePort;
import static io.vipd.watcher.TrackerHarness.NODE;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.vipd.lb.Action;
import io.vipd.lb.Addresses;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Route;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.net.Inet6Address;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dual-stack services route per IP family, as kube-proxy's one proxier per family does (kube-proxy-semantics.md
 * §1.1, §1.2, §1.5): a frontend uses only its own family's endpoints, categorized on their own.
 */
class DualStackTest {
    private static final String OTHER = "node-2";
    private final TrackerHarness h = new TrackerHarness();

    /** A dual-stack LoadBalancer service with a NodePort and one LB IP per family. */
    private static Service dualLb(boolean externalLocal, String... sourceRanges) {
        return service(
                "ns",
                "d",
                "10.96.0.3",
                List.of(nodePort("http", "TCP", 80, 30080)),
                b -> b.editSpec()
                        .withType("LoadBalancer")
                        .withClusterIPs("10.96.0.3", "fd00::3")
                        .withIpFamilies("IPv4", "IPv6")
                        .withExternalTrafficPolicy(externalLocal ? "Local" : "Cluster")
                        .withLoadBalancerSourceRanges(sourceRanges)
                        .endSpec()
                        .withNewStatus()
                        .withNewLoadBalancer()
                        .addNewIngress()
                        .withIp("198.51.100.1")
                        .endIngress()
                        .addNewIngress()
                        .withIp("2001:db8::1")
                        .endIngress()
                        .endLoadBalancer()
                        .endStatus());
    }

    private void apply(Service svc, List<Endpoint> v4, List<Endpoint> v6) {
        h.tracker.onServiceUpdate(null, svc);
        h.tracker.onEndpointSliceUpdate(
                slice("ns", "d-v4", "d", "IPv4", List.of(slicePort("http", "TCP", 8080)), v4.toArray(new Endpoint[0])),
                false);
        h.tracker.onEndpointSliceUpdate(
                slice("ns", "d-v6", "d", "IPv6", List.of(slicePort("http", "TCP", 8080)), v6.toArray(new Endpoint[0])),
                false);
        h.tracker.sync();
    }

    /** Every frontend's ordinary route as "Kind family: action [backends]"; a NodePort once per family. */
    private static Map<String, String> routes(ServicePortEntry e) {
        Map<String, String> out = new TreeMap<>();
        for (ServiceFrontend f : e.frontends()) {
            if (f.frontend().isNodePort()) {
                out.put("NodePort v4", show(e.route(f.type(), false, false)));
                out.put("NodePort v6", show(e.route(f.type(), false, true)));
            } else {
                boolean v6 = f.frontend().address() instanceof Inet6Address;
                out.put(f.type().displayName() + (v6 ? " v6" : " v4"), show(e.route(f.type(), false, v6)));
            }
        }
        return out;
    }

    private static String show(Route r) {
        return r.action() == Action.FORWARD
                ? "forward " + r.backends().keys()
                : r.action().displayName();
    }

    static Stream<Arguments> cases() {
        String v4 = "forward [10.0.0.1:8080]";
        String v6 = "forward [[fd00::1]:8080]";
        return Stream.of(
                Arguments.of(
                        "both families ready: each frontend forwards to its own family only",
                        false,
                        List.of(ep("10.0.0.1", OTHER)),
                        List.of(ep("fd00::1", OTHER)),
                        Map.of(
                                "ClusterIP v4",
                                v4,
                                "ClusterIP v6",
                                v6,
                                "LoadBalancer v4",
                                v4,
                                "LoadBalancer v6",
                                v6,
                                "NodePort v4",
                                v4,
                                "NodePort v6",
                                v6)),
                Arguments.of(
                        "IPv6 endpoints all gone: IPv6 frontends reject, IPv4 ones forward",
                        false,
                        List.of(ep("10.0.0.1", OTHER)),
                        List.of(),
                        Map.of(
                                "ClusterIP v4",
                                v4,
                                "ClusterIP v6",
                                "reject",
                                "LoadBalancer v4",
                                v4,
                                "LoadBalancer v6",
                                "reject",
                                "NodePort v4",
                                v4,
                                "NodePort v6",
                                "reject")),
                Arguments.of(
                        "IPv6 only terminating: IPv6 falls back to serving+terminating on its own",
                        false,
                        List.of(ep("10.0.0.1", OTHER)),
                        List.of(ep("fd00::1", OTHER, false, true, true)),
                        Map.of(
                                "ClusterIP v4",
                                v4,
                                "ClusterIP v6",
                                v6,
                                "LoadBalancer v4",
                                v4,
                                "LoadBalancer v6",
                                v6,
                                "NodePort v4",
                                v4,
                                "NodePort v6",
                                v6)),
                Arguments.of(
                        "eTP Local: a local IPv4 endpoint does not make IPv6 external traffic forward",
                        true,
                        List.of(ep("10.0.0.1", NODE)),
                        List.of(ep("fd00::1", OTHER)),
                        Map.of(
                                "ClusterIP v4",
                                v4,
                                "ClusterIP v6",
                                v6,
                                "LoadBalancer v4",
                                v4,
                                "LoadBalancer v6",
                                "drop",
                                "NodePort v4",
                                v4,
                                "NodePort v6",
                                "drop")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachFrontendRoutesByItsOwnFamily(
            String name, boolean externalLocal, List<Endpoint> v4, List<Endpoint> v6, Map<String, String> expected) {
        apply(dualLb(externalLocal), v4, v6);
        assertThat(routes(h.entry("ns", "d", "http"))).isEqualTo(new TreeMap<>(expected));
    }

    @Test
    void theServicePortLevelListsAreTheUnionOfBothFamilies() {
        apply(dualLb(false), List.of(ep("10.0.0.1", OTHER)), List.of(ep("fd00::1", OTHER)));
        ServicePortEntry e = h.entry("ns", "d", "http");
        assertThat(e.clusterEndpoints().keys()).containsExactlyInAnyOrder("10.0.0.1:8080", "[fd00::1]:8080");
        assertThat(e.localEndpoints()).isNull();
        assertThat(e.hasAnyEndpoints()).isTrue();
        assertThat(e.hasFamily(false)).isTrue();
        assertThat(e.hasFamily(true)).isTrue();
    }

    @Test
    void sourceRangesOfOneFamilyLeaveTheOtherFamilyOpen() {
        apply(dualLb(false, "203.0.113.0/24"), List.of(ep("10.0.0.1", OTHER)), List.of(ep("fd00::1", OTHER)));
        ServicePortEntry e = h.entry("ns", "d", "http");
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("203.0.113.7")))
                .isTrue();
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("192.0.2.7")))
                .isFalse();
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("2001:db8:99::7")))
                .isTrue();
    }

    @Test
    void theNodeHairpinRuleAddsOnlyTheVipsOfTheNodeAddressFamily() {
        apply(
                dualLb(false, "203.0.113.0/24", "2001:db8:5::/48"),
                List.of(ep("10.0.0.1", OTHER)),
                List.of(ep("fd00::1", OTHER)));
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
        ServicePortEntry e = h.entry("ns", "d", "http");
        assertThat(e.sourceRanges())
                .extracting(Object::toString)
                .containsExactly("203.0.113.0/24", "2001:db8:5::/48", "198.51.100.1/32");
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("198.51.100.1")))
                .isTrue();
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("2001:db8::1")))
                .isFalse();
        assertThat(e.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("2001:db8:5::9")))
                .isTrue();
    }
}
