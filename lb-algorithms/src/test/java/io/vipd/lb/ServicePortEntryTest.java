package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-family routes and source ranges (kube-proxy runs one proxier per IP family). */
class ServicePortEntryTest {
    private static final ServicePortName NAME = ServicePortName.of("ns", "web", "http", Protocol.TCP);
    private static final BackendSet V4 = BackendSet.of(Backend.of(Addresses.parseIp("10.0.0.1"), 80));
    private static final BackendSet V6 = BackendSet.of(Backend.of(Addresses.parseIp("fd00::1"), 80));

    @Test
    void eachFamilyRoutesToItsOwnEndpoints() {
        ServicePortEntry e = ServicePortEntry.builder(NAME)
                .endpoints(BackendSet.of(List.of(V4.get(0), V6.get(0))))
                .categorized(false, V4, null, true)
                .categorized(true, V6, null, true)
                .build();
        assertThat(e.route(FrontendType.CLUSTER_IP, false, false).backends()).isEqualTo(V4);
        assertThat(e.route(FrontendType.CLUSTER_IP, false, true).backends()).isEqualTo(V6);
        assertThat(e.route(FrontendType.LOAD_BALANCER, false, true).backends()).isEqualTo(V6);
        assertThat(e.clusterEndpoints().keys()).containsExactly("10.0.0.1:80", "[fd00::1]:80");
    }

    @Test
    void aFamilyWithoutEndpointsRejectsWhileTheOtherForwards() {
        ServicePortEntry e = ServicePortEntry.builder(NAME)
                .endpoints(V4)
                .categorized(false, V4, null, true)
                .categorized(true, null, null, false)
                .build();
        assertThat(e.route(FrontendType.CLUSTER_IP, false, false).action()).isEqualTo(Action.FORWARD);
        assertThat(e.route(FrontendType.CLUSTER_IP, false, true).action()).isEqualTo(Action.REJECT);
        assertThat(e.route(FrontendType.NODE_PORT, false, true).action()).isEqualTo(Action.REJECT);
        // The family-less accessors use the family that has endpoints.
        assertThat(e.route(FrontendType.CLUSTER_IP, false).backends()).isEqualTo(V4);
        assertThat(e.hasAnyEndpoints()).isTrue();
        assertThat(e.clusterEndpoints()).isEqualTo(V4);
    }

    @Test
    void aSingleFamilyEntryRejectsTheOtherFamilyAndDelegatesTheOldMethodToItsOwn() {
        ServicePortEntry e = ServicePortEntry.builder(NAME)
                .endpoints(V6)
                .categorized(true, V6, null, true)
                .build();
        assertThat(e.hasFamily(true)).isTrue();
        assertThat(e.hasFamily(false)).isFalse();
        assertThat(e.route(FrontendType.CLUSTER_IP, false).backends()).isEqualTo(V6);
        assertThat(e.internalRoute().backends()).isEqualTo(V6);
        assertThat(e.route(FrontendType.CLUSTER_IP, false, false).action()).isEqualTo(Action.REJECT);
        assertThat(e.clusterEndpoints()).isSameAs(V6);
    }

    @Test
    void anEntryWithoutPerFamilyDataServesBothFamiliesAlike() {
        BackendSet both = BackendSet.of(List.of(V4.get(0), V6.get(0)));
        ServicePortEntry e = ServicePortEntry.builder(NAME).backends(both).build();
        assertThat(e.route(FrontendType.CLUSTER_IP, false, false).backends()).isEqualTo(both);
        assertThat(e.route(FrontendType.CLUSTER_IP, false, true).backends()).isEqualTo(both);
        assertThat(e.hasFamily(false) && e.hasFamily(true)).isTrue();
    }

    @Test
    void localPolicyIsDecidedPerFamily() {
        ServicePortEntry e = ServicePortEntry.builder(NAME)
                .externalPolicyLocal(true)
                .categorized(false, V4, V4, true)
                .categorized(true, V6, BackendSet.empty(), true)
                .build();
        assertThat(e.route(FrontendType.LOAD_BALANCER, false, false).action()).isEqualTo(Action.FORWARD);
        assertThat(e.route(FrontendType.LOAD_BALANCER, false, true).action()).isEqualTo(Action.DROP);
        assertThat(e.route(FrontendType.LOAD_BALANCER, true, true).backends()).isEqualTo(V6);
        assertThat(e.route(FrontendType.CLUSTER_IP, false, true).backends()).isEqualTo(V6);
    }

    @Test
    void toBuilderAndRebuildKeepPerFamilyRoutesAndReuseTheirPickers() {
        ServicePortEntry e = ServicePortEntry.builder(NAME)
                .categorized(false, V4, null, true)
                .categorized(true, V6, null, true)
                .build();
        ServicePortEntry again = e.toBuilder().build(e);
        assertThat(again.route(FrontendType.CLUSTER_IP, false, false))
                .isSameAs(e.route(FrontendType.CLUSTER_IP, false, false));
        assertThat(again.route(FrontendType.CLUSTER_IP, false, true))
                .isSameAs(e.route(FrontendType.CLUSTER_IP, false, true));
        ServicePortEntry edited =
                e.toBuilder().categorized(true, null, null, false).build(e);
        assertThat(edited.route(FrontendType.CLUSTER_IP, false, true).action()).isEqualTo(Action.REJECT);
        assertThat(edited.route(FrontendType.CLUSTER_IP, false, false))
                .isSameAs(e.route(FrontendType.CLUSTER_IP, false, false));
    }

    @Test
    void sourceRangesApplyPerFamily() {
        ServicePortEntry v4Only = ServicePortEntry.builder(NAME)
                .sourceRanges(List.of(Cidr.parse("203.0.113.0/24")))
                .build();
        assertThat(v4Only.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("203.0.113.9")))
                .isTrue();
        assertThat(v4Only.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("192.0.2.9")))
                .isFalse();
        assertThat(v4Only.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("2001:db8::9")))
                .isTrue();
        ServicePortEntry both = ServicePortEntry.builder(NAME)
                .sourceRanges(List.of(Cidr.parse("203.0.113.0/24"), Cidr.parse("2001:db8:5::/48")))
                .build();
        assertThat(both.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("2001:db8::9")))
                .isFalse();
        assertThat(both.sourceAllowed(FrontendType.LOAD_BALANCER, Addresses.parseIp("2001:db8:5::9")))
                .isTrue();
        assertThat(both.sourceAllowed(FrontendType.NODE_PORT, Addresses.parseIp("2001:db8::9")))
                .isTrue();
    }
}
