package io.vipd.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PodRoutesTest {
    private static final List<String> V4 = List.of(
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
            "eth0\t00000000\t010240C6\t0003\t0\t0\t0\t00000000\t0\t0\t0",
            "eth0\t004012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            // cbr0 198.18.128.0/24: a bridge with the node's pod subnet.
            "cbr0\t008012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            // cali1 198.18.129.5/32 and cali2 198.18.129.6/32: per-pod routes to veths.
            "cali1\t058112C6\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0",
            "cali2\t068112C6\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0");
    private static final List<String> V6 = List.of(
            "20010002000000800000000000000000 40 00000000000000000000000000000000 00 "
                    + "00000000000000000000000000000000 00000100 00000001 00000000 00000001     cbr0",
            "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
                    + "00000000000000000000000000000000 00000100 00000002 00000000 00000001     cbr0",
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                    + "20010002000000000000000000000001 00000400 00000003 00000000 00000003     cbr0");

    @Test
    void theBridgesRoutesAreItsPodsExceptDefaultAndLinkLocal() {
        LocalDetection bridge = new LocalDetection(LocalDetection.Mode.BRIDGE_INTERFACE, "cbr0", "");
        assertThat(PodRoutes.parse(V4, V6, bridge::podInterface)).hasToString("[198.18.128.0/24, 2001:2:0:80::/64]");
    }

    @Test
    void anInterfacePrefixCollectsThePerPodRoutes() {
        LocalDetection prefix = new LocalDetection(LocalDetection.Mode.INTERFACE_NAME_PREFIX, "", "cali");
        assertThat(PodRoutes.parse(V4, V6, prefix::podInterface)).hasToString("[198.18.129.5/32, 198.18.129.6/32]");
        LocalDetection none = new LocalDetection(LocalDetection.Mode.INTERFACE_NAME_PREFIX, "", "veth");
        assertThat(PodRoutes.parse(V4, V6, none::podInterface)).isEmpty();
    }
}
