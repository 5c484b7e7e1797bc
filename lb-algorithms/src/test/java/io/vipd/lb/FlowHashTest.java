package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlowHashTest {
    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(Addresses.parseIp(ip), port);
    }

    /** The IPv4 fast path relies on OpenJDK's Inet4Address.hashCode being the big-endian address. */
    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.0.0.1", "198.18.255.254", "255.255.255.255", "128.0.0.1"})
    void inet4HashCodeIsTheAddress(String ip) {
        InetAddress a = Addresses.parseIp(ip);
        assertThat(a.hashCode()).isEqualTo(ByteBuffer.wrap(a.getAddress()).getInt());
    }

    /** Pinned values: a change here is a wire-level change (nodes would disagree), docs/maglev.md §2.9. */
    @Test
    void valuesArePinned() {
        assertThat(FlowHash.of(at("198.18.0.1", 40000), at("10.96.0.10", 80), Protocol.TCP))
                .isEqualTo(PINNED_V4);
        assertThat(FlowHash.of(at("2001:db8::1", 40000), at("fd00::10", 80), Protocol.UDP))
                .isEqualTo(PINNED_V6);
        assertThat(FlowHash.ofClientIp(Addresses.parseIp("198.18.0.1"))).isEqualTo(PINNED_CLIENT);
    }

    private static final long PINNED_V4 = 8700781365128258913L;
    private static final long PINNED_V6 = -1878665828411746164L;
    private static final long PINNED_CLIENT = -5558950074645845536L;

    @Test
    void everyTupleFieldMatters() {
        long base = FlowHash.of(at("198.18.0.1", 40000), at("10.96.0.10", 80), Protocol.TCP);
        assertThat(FlowHash.of(at("198.18.0.2", 40000), at("10.96.0.10", 80), Protocol.TCP))
                .isNotEqualTo(base);
        assertThat(FlowHash.of(at("198.18.0.1", 40001), at("10.96.0.10", 80), Protocol.TCP))
                .isNotEqualTo(base);
        assertThat(FlowHash.of(at("198.18.0.1", 40000), at("10.96.0.11", 80), Protocol.TCP))
                .isNotEqualTo(base);
        assertThat(FlowHash.of(at("198.18.0.1", 40000), at("10.96.0.10", 81), Protocol.TCP))
                .isNotEqualTo(base);
        assertThat(FlowHash.of(at("198.18.0.1", 40000), at("10.96.0.10", 80), Protocol.UDP))
                .isNotEqualTo(base);
    }

    @Test
    void clientIpHashIgnoresPortsAndFrontend() {
        InetAddress client = Addresses.parseIp("fd00::1");
        assertThat(FlowHash.ofClientIp(client)).isEqualTo(FlowHash.ofClientIp(Addresses.parseIp("fd00:0::1")));
        assertThat(FlowHash.ofClientIp(client)).isNotEqualTo(FlowHash.ofClientIp(Addresses.parseIp("fd00::2")));
    }

    @Test
    void flowsSpreadEvenlyOverATable() {
        BackendSet set = BackendSet.of(TestBackends.sequentialIpv4(10, 80));
        MaglevTable t = TestBackends.table(set, 4093);
        int[] hits = new int[10];
        int flows = 50_000;
        for (int port = 0; port < flows; port++) {
            InetSocketAddress client = at("198.18." + (port >> 8 & 0xff) + "." + (port & 0xff), 1024 + port % 60000);
            hits[t.lookup(FlowHash.of(client, at("10.96.0.10", 80), Protocol.TCP))]++;
        }
        for (int h : hits) {
            assertThat((double) h / flows).isBetween(0.09, 0.11);
        }
    }
}
