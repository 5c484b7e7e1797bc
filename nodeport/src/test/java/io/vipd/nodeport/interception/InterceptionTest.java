package io.vipd.nodeport.interception;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Addresses;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import io.vipd.lb.Cidr;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.nodeport.NetNs;
import io.vipd.testing.Requires;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterceptionTest {
    private static final InterceptionConfig CONFIG = InterceptionConfig.defaults(
            List.of(Cidr.parse("198.18.128.0/17"), Cidr.parse("198.18.129.0/24")),
            List.of(Addresses.parseIp("198.18.0.1")));
    private static final ServicePortName WEB = ServicePortName.of("ns", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = ServicePortName.of("ns", "dns", "dns", Protocol.UDP);
    private static final ServicePortName EMPTY = ServicePortName.of("ns", "empty", "", Protocol.TCP);
    private static final ServicePortName LOCAL = ServicePortName.of("ns", "local", "", Protocol.TCP);

    @Test
    void rendersTheTable() throws IOException {
        ServiceTable table = table();
        Interception i = new Interception((c, in) -> new CommandRunner.Result(0, "", ""), CONFIG);
        i.syncAll(table);
        String got = NftRuleset.declaration(CONFIG, i.desired());
        Path golden = Path.of("src/test/resources/golden/nft/table.nft");
        if (Boolean.getBoolean("golden.update")) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, got);
        }
        assertThat(got).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }

    @Test
    void theSocketRuleComesOnlyWithTransparentEgress() {
        InterceptionConfig nodeOnly = new InterceptionConfig(
                CONFIG.tcpPort(),
                CONFIG.udpPort(),
                CONFIG.mark(),
                CONFIG.routeTable(),
                CONFIG.clusterCidrs(),
                CONFIG.nodePortAddresses(),
                false);
        assertThat(NftRuleset.preroutingRules(CONFIG).get(0))
                .startsWith("meta l4proto { tcp, udp } socket transparent 1");
        assertThat(NftRuleset.preroutingRules(nodeOnly))
                .noneMatch(r -> r.contains("socket"))
                .hasSize(NftRuleset.preroutingRules(CONFIG).size() - 1);
    }

    @Test
    void elementsFollowEndpointsAndPolicies() {
        ServiceTable table = table();
        var web = NftElements.of(table.get(WEB), CONFIG.nodePortAddresses());
        assertThat(web.get(NftSet.FRONTENDS_V4)).containsExactly("198.19.0.10 . tcp . 80", "198.19.1.1 . tcp . 80");
        assertThat(web.get(NftSet.NODEPORTS)).containsExactly("tcp . 30080");
        assertThat(web.get(NftSet.FIREWALL_V4)).containsExactly("198.19.1.1 . tcp . 80");
        // The node address 198.18.0.1 is inside 198.18.0.0/16, so the LB IP may talk to itself (hairpin).
        assertThat(web.get(NftSet.FIREWALL_ALLOW_V4))
                .containsExactly("198.19.1.1 . tcp . 80 . 198.18.0.0/16", "198.19.1.1 . tcp . 80 . 198.19.1.1");
        assertThat(web).doesNotContainKeys(NftSet.REJECT_V4, NftSet.DROP_V4, NftSet.DROP_EXTERNAL_V4);

        var empty = NftElements.of(table.get(EMPTY), CONFIG.nodePortAddresses());
        assertThat(empty.get(NftSet.REJECT_V4)).containsExactly("198.19.0.12 . tcp . 80");
        assertThat(empty.get(NftSet.REJECT_NODEPORTS)).containsExactly("tcp . 30081");

        var local = NftElements.of(table.get(LOCAL), CONFIG.nodePortAddresses());
        assertThat(local.get(NftSet.DROP_V4)).containsExactly("198.19.0.13 . tcp . 80");
        assertThat(local.get(NftSet.DROP_EXTERNAL_NODEPORTS)).containsExactly("tcp . 30082");
        assertThat(local).doesNotContainKeys(NftSet.REJECT_V4, NftSet.REJECT_NODEPORTS);
    }

    @Test
    void eachFrontendRejectsByItsOwnFamilysRoute() {
        ServicePortName dual = ServicePortName.of("ns", "dual", "", Protocol.TCP);
        BackendSet v4 = BackendSet.of(Backend.of(Addresses.parseIp("198.18.128.5"), 8080));
        List<ServiceFrontend> frontends = List.of(
                new ServiceFrontend(
                        new Frontend(Addresses.parseIp("198.19.0.20"), 80, Protocol.TCP), FrontendType.CLUSTER_IP),
                new ServiceFrontend(
                        new Frontend(Addresses.parseIp("fd00:96::20"), 80, Protocol.TCP), FrontendType.CLUSTER_IP),
                new ServiceFrontend(Frontend.nodePort(30090, Protocol.TCP), FrontendType.NODE_PORT));
        // The IPv6 endpoints are all gone: the IPv6 ClusterIP rejects, the IPv4 one forwards, and the
        // family-less NodePort set is left to the proxy, which sees each flow's family.
        ServicePortEntry v6Gone = ServicePortEntry.builder(dual)
                .frontends(frontends)
                .endpoints(v4)
                .categorized(false, v4, null, true)
                .categorized(true, null, null, false)
                .build();
        var elements = NftElements.of(v6Gone, CONFIG.nodePortAddresses());
        assertThat(elements.get(NftSet.REJECT_V6)).containsExactly("fd00:96::20 . tcp . 80");
        assertThat(elements).doesNotContainKeys(NftSet.REJECT_V4, NftSet.REJECT_NODEPORTS);

        ServicePortEntry bothGone = v6Gone.toBuilder()
                .endpoints(BackendSet.empty())
                .categorized(false, null, null, false)
                .build();
        elements = NftElements.of(bothGone, CONFIG.nodePortAddresses());
        assertThat(elements.get(NftSet.REJECT_V4)).containsExactly("198.19.0.20 . tcp . 80");
        assertThat(elements.get(NftSet.REJECT_NODEPORTS)).containsExactly("tcp . 30090");
    }

    @Test
    void aFailedUpdateIsRepairedByReplacingTheTable() throws IOException {
        List<String> scripts = new java.util.ArrayList<>();
        CommandRunner failingDeltas = (command, stdin) -> {
            scripts.add(stdin);
            boolean delta = stdin != null && !stdin.startsWith("table");
            return new CommandRunner.Result(delta ? 1 : 0, "", delta ? "Error: No such file or directory" : "");
        };
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        ServiceTable table = table();
        Interception i = new Interception(failingDeltas, CONFIG, registry);
        table.addListener(i);
        i.syncAll(table);
        table.apply(List.of(), List.of(DNS));
        assertThat(scripts).hasSize(3);
        assertThat(scripts.get(1)).isEqualTo("delete element inet vipd frontends-v4 { 198.19.0.11 . udp . 53 }\n");
        assertThat(scripts.get(2))
                .startsWith("table inet vipd {}\ndelete table inet vipd\n")
                .doesNotContain("198.19.0.11")
                .contains("198.19.0.10 . tcp . 80");
        assertThat(registry.counter("kubeproxy.sync.proxy.rules.nftables.sync.failures")
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void overlappingCidrsAreMerged() {
        assertThat(NftElements.disjoint(List.of(
                                Cidr.parse("198.18.5.7/16"), Cidr.parse("198.18.9.0/24"), Cidr.parse("198.18.0.0/16")))
                        .toString())
                .isEqualTo("[198.18.0.0/16]");
    }

    @Test
    @Requires(
            root = true,
            commands = {"ip", "nft"})
    void appliesUpdatesAsElementChangesAndCleansUp() throws IOException {
        try (NetNs ns = NetNs.create("nft")) {
            CommandRunner runner = ns.runner();
            ServiceTable table = table();
            Interception i = new Interception(runner, CONFIG);
            table.addListener(i);
            i.start();
            assertThat(ns.run("nft", "list", "table", "inet", "vipd")).contains("chain prerouting");
            assertThat(ns.run("ip", "-4", "rule", "list")).contains("fwmark 0x200000/0x200000 lookup 5650");
            assertThat(ns.run("ip", "-4", "route", "show", "table", "5650")).contains("local default dev lo");
            i.syncAll(table);
            assertThat(ns.run("nft", "list", "set", "inet", "vipd", "frontends-v4"))
                    .contains("198.19.0.10 . tcp . 80")
                    .contains("198.19.0.11 . udp . 53");

            // A change is one transaction of element changes: the chains keep their handles.
            String handlesBefore = ns.run("nft", "-a", "list", "chain", "inet", "vipd", "prerouting");
            long before = i.transactions();
            table.apply(List.of(), List.of(DNS));
            table.apply(List.of(webWithoutFirewall()), List.of());
            assertThat(i.transactions()).isEqualTo(before + 2);
            String frontends = ns.run("nft", "list", "set", "inet", "vipd", "frontends-v4");
            assertThat(frontends).doesNotContain("198.19.0.11").contains("198.19.0.10 . tcp . 80");
            assertThat(ns.run("nft", "list", "set", "inet", "vipd", "firewall-allow-v4"))
                    .doesNotContain("198.19.1.1");
            assertThat(ns.run("nft", "-a", "list", "chain", "inet", "vipd", "prerouting"))
                    .isEqualTo(handlesBefore);

            // A restarted vipd adopts the table, then replaces it atomically without duplicates.
            Interception restarted = new Interception(runner, CONFIG);
            restarted.start();
            assertThat(ns.run("nft", "list", "set", "inet", "vipd", "frontends-v4"))
                    .contains("198.19.0.10 . tcp . 80");
            restarted.syncAll(table);
            restarted.start();
            String rules = ns.run("nft", "list", "chain", "inet", "vipd", "prerouting");
            assertThat(rules.split("tproxy ip to", -1)).hasSize(5);
            assertThat(ns.run("ip", "-4", "rule", "list").split("lookup 5650", -1))
                    .hasSize(2);

            // Removed behind vipd's back: the periodic check puts everything back.
            assertThat(restarted.verify(table)).isFalse();
            ns.run("nft", "delete", "table", "inet", "vipd");
            ns.run("ip", "-4", "rule", "del", "fwmark", "0x200000/0x200000", "lookup", "5650");
            assertThat(restarted.verify(table)).isTrue();
            assertThat(ns.run("nft", "list", "set", "inet", "vipd", "frontends-v4"))
                    .contains("198.19.0.10 . tcp . 80");
            assertThat(ns.run("ip", "-4", "rule", "list")).contains("lookup 5650");
            ns.run("ip", "-6", "route", "flush", "table", "5650");
            assertThat(restarted.verify(table)).isTrue();
            assertThat(ns.run("ip", "-6", "route", "show", "table", "5650")).contains("local");
            assertThat(restarted.verify(table)).isFalse();

            Interception.cleanup(runner, CONFIG);
            Interception.cleanup(runner, CONFIG);
            assertThat(ns.run("nft", "list", "ruleset")).doesNotContain("vipd");
            assertThat(ns.run("ip", "-4", "rule", "list")).doesNotContain("5650");
            assertThat(ns.run("ip", "-4", "route", "show", "table", "all")).doesNotContain("table 5650");
        }
    }

    @Test
    @Requires(
            root = true,
            commands = {"ip", "nft"})
    void restoresContentChangedBehindItsBack() throws IOException {
        try (NetNs ns = NetNs.create("nftfix")) {
            var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            ServiceTable table = table();
            Interception i = new Interception(ns.runner(), CONFIG, registry);
            table.addListener(i);
            i.start();
            i.syncAll(table);
            String intact = ns.run("nft", "list", "table", "inet", "vipd");
            assertThat(i.verify(table)).isFalse();
            assertThat(i.verify(table)).isFalse();

            String[][] tamperings = {
                {"nft", "flush", "table", "inet", "vipd"},
                {"nft", "delete", "element", "inet", "vipd", "frontends-v4", "{ 198.19.0.10 . tcp . 80 }"},
                {"nft", "add", "element", "inet", "vipd", "frontends-v4", "{ 198.19.9.9 . tcp . 80 }"},
                {"nft", "flush", "chain", "inet", "vipd", "output"},
                {"nft", "insert", "rule", "inet", "vipd", "prerouting", "meta l4proto tcp accept"},
            };
            for (String[] tampering : tamperings) {
                ns.run(tampering);
                assertThat(i.verify(table)).as(String.join(" ", tampering)).isTrue();
                assertThat(NftListing.parse(ns.run("nft", "list", "table", "inet", "vipd"))
                                .differencesTo(NftListing.parse(intact)))
                        .as(String.join(" ", tampering))
                        .isEmpty();
                assertThat(i.verify(table)).isFalse();
            }

            // After vipd's own update, the check judges the shape, then takes the table as its reference.
            table.apply(List.of(), List.of(DNS));
            ns.run("nft", "delete", "element", "inet", "vipd", "frontends-v4", "{ 198.19.0.10 . tcp . 80 }");
            assertThat(i.verify(table)).isTrue();
            assertThat(ns.run("nft", "list", "set", "inet", "vipd", "frontends-v4"))
                    .contains("198.19.0.10 . tcp . 80")
                    .doesNotContain("198.19.0.11");

            ns.run("ip", "-4", "route", "add", "198.18.200.0/24", "dev", "lo", "table", "5650");
            assertThat(i.verify(table)).isTrue();
            assertThat(ns.run("ip", "-4", "route", "show", "table", "5650").strip())
                    .startsWith("local default dev lo")
                    .doesNotContain("198.18.200.0");
            assertThat(registry.counter("vipd.interception.repairs", "what", "nftables_table")
                            .count())
                    .isEqualTo(tamperings.length + 1);
            assertThat(registry.counter("vipd.interception.repairs", "what", "policy_routing")
                            .count())
                    .isEqualTo(1.0);
            Interception.cleanup(ns.runner(), CONFIG);
        }
    }

    private static ServiceTable table() {
        ServiceTable t = new ServiceTable();
        t.apply(List.of(web(true), dns(), empty(), local()), List.of());
        return t;
    }

    private static ServicePortEntry web(boolean firewall) {
        return ServicePortEntry.builder(WEB)
                .frontends(List.of(
                        fe("198.19.0.10", 80, Protocol.TCP, FrontendType.CLUSTER_IP),
                        fe("198.19.1.1", 80, Protocol.TCP, FrontendType.LOAD_BALANCER),
                        new ServiceFrontend(Frontend.nodePort(30080, Protocol.TCP), FrontendType.NODE_PORT)))
                .sourceRanges(firewall ? List.of(Cidr.parse("198.18.0.0/16"), Cidr.parse("198.18.3.0/24")) : List.of())
                .backends(BackendSet.of(Backend.parse("198.18.129.2:8080")))
                .build();
    }

    private static ServicePortEntry webWithoutFirewall() {
        return web(false);
    }

    private static ServicePortEntry dns() {
        return ServicePortEntry.builder(DNS)
                .frontends(List.of(fe("198.19.0.11", 53, Protocol.UDP, FrontendType.CLUSTER_IP)))
                .backends(BackendSet.of(Backend.parse("198.18.129.3:5353")))
                .build();
    }

    private static ServicePortEntry empty() {
        return ServicePortEntry.builder(EMPTY)
                .frontends(List.of(
                        fe("198.19.0.12", 80, Protocol.TCP, FrontendType.CLUSTER_IP),
                        new ServiceFrontend(Frontend.nodePort(30081, Protocol.TCP), FrontendType.NODE_PORT)))
                .backends(BackendSet.empty())
                .build();
    }

    private static ServicePortEntry local() {
        Backend remote = new Backend(
                Addresses.parseIp("198.18.130.2"), 80, 1, "other", "", BackendState.READY, false, Set.of(), Set.of());
        BackendSet all = BackendSet.of(remote);
        return ServicePortEntry.builder(LOCAL)
                .frontends(List.of(
                        fe("198.19.0.13", 80, Protocol.TCP, FrontendType.CLUSTER_IP),
                        new ServiceFrontend(Frontend.nodePort(30082, Protocol.TCP), FrontendType.NODE_PORT)))
                .internalPolicyLocal(true)
                .externalPolicyLocal(true)
                .endpoints(all)
                .categorized(all, BackendSet.empty(), true)
                .build();
    }

    private static ServiceFrontend fe(String ip, int port, Protocol p, FrontendType type) {
        return new ServiceFrontend(new Frontend(Addresses.parseIp(ip), port, p), type);
    }
}
