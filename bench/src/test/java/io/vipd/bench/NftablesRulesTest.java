package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NftablesRulesTest {
    private static final List<String> TEN = List.of(
            "198.18.2.10",
            "198.18.2.11",
            "198.18.2.12",
            "198.18.2.13",
            "198.18.2.14",
            "198.18.2.15",
            "198.18.2.16",
            "198.18.2.17",
            "198.18.2.18",
            "198.18.2.19");
    private static final Pattern GOTO = Pattern.compile("(?:goto|jump) ([a-z][A-Za-z0-9_./-]*)");

    @Test
    void oneServiceIsExactlyWhatKubeProxyWrites() {
        BenchService s = new BenchService(
                "ns1", "svc1", "p80", "tcp", "172.30.0.41", 80, List.of(new BenchService.Endpoint("10.180.0.1", 80)));
        String nft = NftablesRules.fullSync(List.of(s), "172.30.0.0/16", "10.0.0.0/8");
        assertThat(nft)
                .contains(
                        "add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ;",
                        "add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips\n",
                        "add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto"
                                + " service-ULMVA6XW-ns1/svc1/tcp/p80 }\n",
                        "add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80"
                                + " ip saddr != 10.0.0.0/8 jump mark-for-masquerade\n",
                        "add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap"
                                + " { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }\n",
                        "add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1"
                                + " jump mark-for-masquerade\n",
                        "add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp"
                                + " dnat to 10.180.0.1:80\n",
                        "add rule ip kube-proxy masquerading masquerade fully-random\n");
    }

    @Test
    void everyChainIsAddedBeforeAnythingJumpsToIt() {
        List<BenchService> set = ServiceSets.generate(20, "udp", "198.19.0.1", 53, TEN, 5353);
        Set<String> added = new HashSet<>();
        int gotos = 0;
        for (String line : NftablesRules.fullSync(set, "198.19.0.0/16", "198.18.2.0/24")
                .lines()
                .toList()) {
            if (line.startsWith("add chain ip kube-proxy ")) {
                added.add(line.split(" ")[4]);
                continue;
            }
            Matcher m = GOTO.matcher(line);
            while (m.find()) {
                assertThat(added).as(line).contains(m.group(1));
                gotos++;
            }
        }
        assertThat(gotos).isGreaterThan(20 * 10);
    }

    @Test
    void eachServiceChainPicksAmongAllItsEndpointsWithNumgen() {
        List<BenchService> set = ServiceSets.generate(3, "tcp", "198.19.0.1", 80, TEN, 8080);
        String nft = NftablesRules.fullSync(set, "198.19.0.0/16", "198.18.2.0/24");
        List<String> numgen =
                nft.lines().filter(l -> l.contains("numgen random mod")).toList();
        assertThat(numgen).hasSize(3).allSatisfy(l -> {
            assertThat(l).contains("numgen random mod 10 vmap { 0 : goto endpoint-", ", 9 : goto endpoint-");
        });
        assertThat(nft.lines().filter(l -> l.startsWith("add element ip kube-proxy service-ips")))
                .hasSize(3);
    }

    @Test
    void anEndpointChangeTouchesOnlyThatService() {
        List<BenchService> set = ServiceSets.generate(3, "tcp", "198.19.0.1", 80, TEN, 8080);
        BenchService before = set.get(2);
        BenchService after = before.withEndpoints(List.of(new BenchService.Endpoint("198.18.2.10", 8083)));
        String nft = NftablesRules.endpointChange(before, after, "198.18.2.0/24");
        assertThat(nft)
                .contains("numgen random mod 1 vmap", "dnat to 198.18.2.10:8083")
                .doesNotContain(KubeProxyNames.nftServiceChain(set.get(0)), "add table", "add element");
        assertThat(nft.lines().filter(l -> l.startsWith("flush chain ip kube-proxy endpoint-")))
                .hasSize(11);
    }
}
