package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Chain names against the values kube-proxy's own tests expect (pkg/proxy/{iptables,nftables}/proxier_test.go). */
class KubeProxyNamesTest {
    private static final BenchService.Endpoint EP = new BenchService.Endpoint("10.180.0.1", 80);
    private static final BenchService SVC =
            new BenchService("ns1", "svc1", "p80", "tcp", "172.30.0.41", 80, List.of(EP));

    @Test
    void iptablesChainsMatchKubeProxy() {
        assertThat(KubeProxyNames.iptablesServiceChain(SVC)).isEqualTo("KUBE-SVC-XPGD46QRK7WJZT7O");
        assertThat(KubeProxyNames.iptablesEndpointChain(SVC, EP)).isEqualTo("KUBE-SEP-SXIVWICOYRO3J4NJ");
    }

    @Test
    void nftablesChainsMatchKubeProxy() {
        assertThat(KubeProxyNames.nftServiceChain(SVC)).isEqualTo("service-ULMVA6XW-ns1/svc1/tcp/p80");
        assertThat(KubeProxyNames.nftEndpointChain(SVC, EP))
                .isEqualTo("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
    }

    @Test
    void iptablesChainNamesFitTheKernelLimit() {
        // iptables chain names are at most 28 characters.
        assertThat(KubeProxyNames.iptablesServiceChain(SVC)).hasSizeLessThanOrEqualTo(28);
        assertThat(KubeProxyNames.iptablesEndpointChain(SVC, EP)).hasSizeLessThanOrEqualTo(28);
    }
}
