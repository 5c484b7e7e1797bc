package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IptablesRulesTest {
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
    private static final Pattern JUMP = Pattern.compile(" -j (KUBE-[A-Z0-9-]+)");

    @Test
    void oneServiceWithTwoEndpointsIsExactlyWhatKubeProxyWrites() {
        BenchService s = new BenchService(
                "ns1",
                "svc1",
                "p80",
                "tcp",
                "172.30.0.41",
                80,
                List.of(new BenchService.Endpoint("10.180.0.1", 80), new BenchService.Endpoint("10.180.0.2", 80)));
        String nat = natTable(IptablesRules.fullSync(List.of(s), "10.0.0.0/8"));
        String svc = KubeProxyNames.iptablesServiceChain(s);
        String sep1 = KubeProxyNames.iptablesEndpointChain(s, s.endpoints().get(0));
        String sep2 = KubeProxyNames.iptablesEndpointChain(s, s.endpoints().get(1));
        assertThat(nat)
                .contains(
                        "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41"
                                + " --dport 80 -j " + svc + "\n",
                        "-A " + svc + " -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41"
                                + " --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n"
                                + "-A " + svc + " -m comment --comment \"ns1/svc1:p80 -> 10.180.0.1:80\" -m statistic"
                                + " --mode random --probability 0.5000000000 -j " + sep1 + "\n"
                                + "-A " + svc + " -m comment --comment \"ns1/svc1:p80 -> 10.180.0.2:80\" -j " + sep2
                                + "\n",
                        "-A " + sep1 + " -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ\n"
                                + "-A " + sep1 + " -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT"
                                + " --to-destination 10.180.0.1:80\n",
                        "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n",
                        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n");
    }

    @Test
    void probabilitiesAreOneOverTheEndpointsLeft() {
        BenchService s =
                ServiceSets.generate(1, "tcp", "198.19.0.1", 80, TEN, 8080).get(0);
        List<String> probabilities = new ArrayList<>();
        Matcher m =
                Pattern.compile("--probability (\\S+)").matcher(IptablesRules.fullSync(List.of(s), "198.18.2.0/24"));
        while (m.find()) {
            probabilities.add(m.group(1));
        }
        assertThat(probabilities)
                .containsExactly(
                        "0.1000000000",
                        "0.1111111111",
                        "0.1250000000",
                        "0.1428571429",
                        "0.1666666667",
                        "0.2000000000",
                        "0.2500000000",
                        "0.3333333333",
                        "0.5000000000");
    }

    @Test
    void everyJumpTargetIsDeclaredAndNodeportsComeLast() {
        List<BenchService> set = ServiceSets.generate(50, "tcp", "198.19.0.1", 80, TEN, 8080);
        String nat = natTable(IptablesRules.fullSync(set, "198.18.2.0/24"));
        Set<String> declared = declaredChains(nat);
        Matcher m = JUMP.matcher(nat);
        while (m.find()) {
            assertThat(declared).contains(m.group(1));
        }
        assertThat(nat.lines().filter(l -> l.startsWith("-A KUBE-SERVICES ")))
                .hasSize(51)
                .last()
                .asString()
                .contains("-j KUBE-NODEPORTS");
        assertThat(declared).hasSize(4 + 50 * 11);
    }

    @Test
    void serviceByServiceAsKubeProxyWritesItWithoutEndpointCommentsInALargeCluster() {
        // 101 services x 10 endpoints is over kube-proxy's 1,000-endpoint threshold for leaving comments out.
        List<BenchService> set = ServiceSets.generate(101, "tcp", "198.19.0.1", 80, TEN, 8080);
        List<String> rules =
                natTable(IptablesRules.fullSync(set, "198.18.2.0/24")).lines().toList();
        BenchService second = set.get(1);
        String svc = KubeProxyNames.iptablesServiceChain(second);
        int jump = rules.indexOf(rules.stream()
                .filter(l -> l.startsWith("-A KUBE-SERVICES ") && l.endsWith("-j " + svc))
                .findFirst()
                .orElseThrow());
        // The service's own chains follow its KUBE-SERVICES jump, before the next service's jump.
        assertThat(rules.get(jump + 1))
                .startsWith("-A " + svc + " -m comment --comment \"bench/svc-00001:p80 cluster IP\"");
        assertThat(rules.get(jump + 2))
                .isEqualTo("-A " + svc + " -m statistic --mode random --probability 0.1000000000 -j "
                        + KubeProxyNames.iptablesEndpointChain(
                                second, second.endpoints().get(0)));
        assertThat(rules.get(jump + 12))
                .isEqualTo("-A "
                        + KubeProxyNames.iptablesEndpointChain(
                                second, second.endpoints().get(0)) + " -s 198.18.2.10 -j KUBE-MARK-MASQ");
        assertThat(rules.get(jump + 32)).startsWith("-A KUBE-SERVICES ").contains("bench/svc-00002:p80");
        // Every chain line comes before the first rule.
        int lastChain = 0;
        int firstRule = rules.size();
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).startsWith(":")) {
                lastChain = i;
            } else if (rules.get(i).startsWith("-") && firstRule == rules.size()) {
                firstRule = i;
            }
        }
        assertThat(lastChain).isLessThan(firstRule);
    }

    @Test
    void theFlushingRestoreHoldsTheBaseJumpsAndTheSyncTableByTable() {
        List<BenchService> set = ServiceSets.generate(3, "tcp", "198.19.0.1", 80, TEN, 8080);
        String full = IptablesRules.fullRestore(set, "198.18.2.0/24");
        assertThat(full.lines().filter(l -> l.startsWith("*"))).containsExactly("*filter", "*nat");
        assertThat(full.lines().filter(l -> l.equals("COMMIT"))).hasSize(2);
        String nat = natTable(full);
        assertThat(nat)
                .contains(
                        "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n",
                        "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n");
        // KUBE-SERVICES is declared by both halves and appears once.
        assertThat(nat.lines().filter(l -> l.startsWith(":KUBE-SERVICES "))).hasSize(1);
        Set<String> declared = declaredChains(nat);
        Matcher m = JUMP.matcher(nat);
        while (m.find()) {
            assertThat(declared).contains(m.group(1));
        }
        List<String> lines = full.lines().toList();
        int filterRules = lines.indexOf("-A INPUT -j KUBE-FIREWALL");
        assertThat(lines.subList(0, filterRules)).noneMatch(l -> l.startsWith("-A "));
    }

    @Test
    void anEndpointChangeRewritesOnlyThatServiceAndDeletesStaleEndpointChains() {
        List<BenchService> set = ServiceSets.generate(3, "tcp", "198.19.0.1", 80, TEN, 8080);
        BenchService before = set.get(2);
        BenchService after = before.withEndpoints(List.of(new BenchService.Endpoint("198.18.2.10", 8083)));
        List<BenchService> changed = new ArrayList<>(set);
        changed.set(2, after);
        String nat = natTable(IptablesRules.endpointChange(changed, "198.18.2.0/24", before, after));
        assertThat(declaredChains(nat))
                .doesNotContain(KubeProxyNames.iptablesServiceChain(set.get(0)))
                .contains(
                        KubeProxyNames.iptablesServiceChain(after),
                        KubeProxyNames.iptablesEndpointChain(
                                after, after.endpoints().get(0)));
        assertThat(nat.lines().filter(l -> l.startsWith("-X KUBE-SEP-"))).hasSize(10);
        assertThat(nat.lines().filter(l -> l.startsWith("-A KUBE-SERVICES "))).hasSize(4);
        assertThat(nat).contains("-j DNAT --to-destination 198.18.2.10:8083");
    }

    static String natTable(String restore) {
        int start = restore.indexOf("*nat\n");
        return restore.substring(start, restore.indexOf("COMMIT\n", start));
    }

    private static Set<String> declaredChains(String table) {
        Set<String> declared = new HashSet<>();
        table.lines().filter(l -> l.startsWith(":")).forEach(l -> declared.add(l.substring(1, l.indexOf(' '))));
        return declared;
    }
}
