package io.vipd.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.Algorithm;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import io.vipd.lb.Cidr;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SnapshotCodecTest {
    static final Instant T = Instant.parse("2026-12-07T10:00:00Z");

    static ServicePortEntry edgeEntry() {
        return ServicePortEntry.builder(ServicePortName.of("default", "web", "", Protocol.TCP))
                .frontends(List.of(new ServiceFrontend(
                        new Frontend(ip("198.19.0.10"), 80, Protocol.TCP), FrontendType.CLUSTER_IP)))
                .algorithm(Algorithm.LEAST_CONNECTIONS)
                .proxyProtocol(ProxyProtocol.V2)
                .maglevTableSize(251)
                .backends(BackendSet.of(
                        Backend.parse("198.18.0.2:8080"),
                        Backend.parse("198.18.0.3:8080").withWeight(3)))
                .build();
    }

    static ServicePortEntry nodeEntry() {
        Backend v4local = new Backend(
                ip("198.18.1.2"),
                53,
                1,
                "node-1",
                "zone-a",
                BackendState.READY,
                true,
                Set.of("zone-a"),
                Set.of("node-1"));
        Backend v4remote = new Backend(
                ip("198.18.2.2"),
                53,
                1,
                "node-2",
                "zone-b",
                BackendState.SERVING_TERMINATING,
                false,
                Set.of(),
                Set.of());
        Backend v6 =
                new Backend(ip("2001:2::5"), 53, 1, "node-2", "zone-b", BackendState.READY, false, Set.of(), Set.of());
        return ServicePortEntry.builder(ServicePortName.of("kube-system", "dns", "dns-udp", Protocol.UDP))
                .frontends(List.of(
                        new ServiceFrontend(new Frontend(ip("198.19.0.53"), 53, Protocol.UDP), FrontendType.CLUSTER_IP),
                        new ServiceFrontend(new Frontend(ip("2001:2::53"), 53, Protocol.UDP), FrontendType.CLUSTER_IP),
                        new ServiceFrontend(Frontend.nodePort(30053, Protocol.UDP), FrontendType.NODE_PORT),
                        new ServiceFrontend(
                                new Frontend(ip("198.19.5.1"), 53, Protocol.UDP), FrontendType.LOAD_BALANCER)))
                .affinityTimeoutSeconds(10800)
                .sourceRanges(List.of(Cidr.parse("198.18.0.0/16")))
                .healthCheckNodePort(31000)
                .externalPolicyLocal(true)
                .endpoints(BackendSet.of(v4local, v4remote, v6))
                .categorized(false, BackendSet.of(v4local, v4remote), BackendSet.of(v4local), true)
                .categorized(true, BackendSet.of(v6), null, true)
                .build();
    }

    static ServicePortEntry noEndpoints() {
        return ServicePortEntry.builder(ServicePortName.of("ns", "empty", "", Protocol.SCTP))
                .frontends(List.of(
                        new ServiceFrontend(new Frontend(ip("198.19.0.9"), 9, Protocol.SCTP), FrontendType.CLUSTER_IP)))
                .categorized(null, null, false)
                .build();
    }

    @Test
    void everyEntryComesBackAsItWas() throws Exception {
        TableSnapshot s = new TableSnapshot("node", "node-1", T, List.of(edgeEntry(), nodeEntry(), noEndpoints()));

        TableSnapshot back = SnapshotCodec.decode(SnapshotCodec.encode(s));

        assertThat(back.mode()).isEqualTo("node");
        assertThat(back.source()).isEqualTo("node-1");
        assertThat(back.takenAt()).isEqualTo(T);
        assertThat(back.entries()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(describe(back.entries().get(i)))
                    .isEqualTo(describe(s.entries().get(i)));
        }
        ServicePortEntry dns = back.entries().get(1);
        assertThat(dns.perFamily()).isTrue();
        assertThat(dns.categorized(true).local()).as("nil stays nil").isNull();
        assertThat(dns.route(FrontendType.LOAD_BALANCER, false, false)
                        .backends()
                        .keys())
                .containsExactly("198.18.1.2:53");
    }

    @Test
    void aDamagedFileIsRefused() {
        byte[] good = SnapshotCodec.encode(new TableSnapshot("edge", "f.yaml", T, List.of(edgeEntry())));
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x40;
        assertThatThrownBy(() -> SnapshotCodec.decode(flipped))
                .isInstanceOf(SnapshotFormatException.class)
                .hasMessageContaining("checksum");
        byte[] torn = java.util.Arrays.copyOf(good, good.length - 20);
        assertThatThrownBy(() -> SnapshotCodec.decode(torn))
                .isInstanceOf(SnapshotFormatException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> SnapshotCodec.decode("hello".getBytes())).isInstanceOf(SnapshotFormatException.class);
        byte[] other = good.clone();
        ByteBuffer.wrap(other).putInt(SnapshotCodec.MAGIC.length, SnapshotCodec.VERSION + 1);
        assertThatThrownBy(() -> SnapshotCodec.decode(other))
                .isInstanceOf(SnapshotFormatException.class)
                .hasMessageContaining("version " + (SnapshotCodec.VERSION + 1));
    }

    /** Everything an entry's behaviour depends on, in a comparable form. */
    static List<Object> describe(ServicePortEntry e) {
        List<Object> d = new ArrayList<>(List.of(
                e.name(),
                e.frontends(),
                e.algorithm(),
                e.affinityTimeoutSeconds(),
                e.proxyProtocol(),
                e.sourceRanges(),
                e.healthCheckNodePort(),
                e.internalPolicyLocal(),
                e.externalPolicyLocal(),
                e.maglevTableSize(),
                e.endpoints().backends(),
                e.perFamily(),
                e.hasAnyEndpoints(),
                String.valueOf(e.clusterEndpoints()),
                String.valueOf(e.localEndpoints())));
        for (boolean ipv6 : new boolean[] {false, true}) {
            d.add(String.valueOf(e.categorized(ipv6)));
            d.add(e.hasFamily(ipv6));
            for (FrontendType type : FrontendType.values()) {
                for (boolean shortCircuit : new boolean[] {false, true}) {
                    var r = e.route(type, shortCircuit, ipv6);
                    d.add(r.action() + " " + r.backends().backends());
                }
            }
        }
        return d;
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
