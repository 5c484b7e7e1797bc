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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** SCTP service ports become kube-proxy-shaped DNAT chains and map elements; TCP and UDP ports none. */
class SctpForwardingTest {
    static final InterceptionConfig CONFIG = InterceptionConfig.defaults(
            List.of(Cidr.parse("198.18.128.0/17")), List.of(Addresses.parseIp("198.18.64.1")));
    static final ServicePortName ASSOC = ServicePortName.of("ns", "assoc", "s", Protocol.SCTP);
    static final Backend POD_A = local("198.18.129.2", true);
    static final Backend POD_B = local("198.18.130.2", false);

    @Test
    void aServicePortBecomesEndpointPolicyAndExternalChains() {
        SctpForwarding.Rules r = SctpForwarding.of(assoc(false, POD_A, POD_B), CONFIG);
        String p = SctpForwarding.chainPrefix(assoc(false, POD_A, POD_B), false);
        assertThat(p).matches("sctp-[A-Z2-7]{8}-ns/assoc/s-v4-");

        String epA = p + "ep-" + SctpForwarding.hash("198.18.129.2:9998");
        String epB = p + "ep-" + SctpForwarding.hash("198.18.130.2:9998");
        assertThat(r.chains()).containsOnlyKeys(epA, epB, p + "cluster", p + "external");
        assertThat(r.chains().get(epA))
                .containsExactly(
                        "ip saddr 198.18.129.2 jump mark-for-masquerade",
                        "meta l4proto sctp dnat ip to 198.18.129.2:9998");
        assertThat(r.chains().get(p + "cluster"))
                .containsExactly(
                        "ip daddr 198.19.0.60 sctp dport 9999 ip saddr != { 198.18.128.0/17 } jump mark-for-masquerade",
                        "numgen random mod 2 vmap { 0 : goto " + epA + ", 1 : goto " + epB + " }");
        // externalTrafficPolicy Cluster: masquerade, then any endpoint.
        assertThat(r.chains().get(p + "external")).containsExactly("jump mark-for-masquerade", "goto " + p + "cluster");
        // Chains come before the chains that jump to them.
        assertThat(new ArrayList<>(r.chains().keySet()).indexOf(p + "cluster"))
                .isGreaterThan(new ArrayList<>(r.chains().keySet()).indexOf(epB));

        assertThat(r.elements().get(NftSet.SCTP_SERVICE_IPS_V4))
                .containsExactlyInAnyOrder(
                        "198.19.0.60 . sctp . 9999 : goto " + p + "cluster",
                        "198.19.1.60 . sctp . 9999 : goto " + p + "external");
        assertThat(r.elements().get(NftSet.SCTP_NODEPORTS_V4)).containsExactly("sctp . 30300 : goto " + p + "external");
    }

    @Test
    void sctpIsNotInterceptedButRejectedLikeTcpAndUdp() {
        Map<NftSet, Set<String>> forwarding = NftElements.of(assoc(false, POD_A), CONFIG.nodePortAddresses());
        assertThat(forwarding).doesNotContainKeys(NftSet.FRONTENDS_V4, NftSet.NODEPORTS, NftSet.REJECT_V4);

        ServicePortEntry empty = assoc(false);
        Map<NftSet, Set<String>> rejecting = NftElements.of(empty, CONFIG.nodePortAddresses());
        assertThat(rejecting.get(NftSet.REJECT_V4)).contains("198.19.0.60 . sctp . 9999", "198.19.1.60 . sctp . 9999");
        assertThat(rejecting.get(NftSet.REJECT_NODEPORTS)).containsExactly("sctp . 30300");
        assertThat(SctpForwarding.of(empty, CONFIG).chains()).isEmpty();
        assertThat(SctpForwarding.of(empty, CONFIG).elements()).isEmpty();

        ServicePortEntry tcp = ServicePortEntry.builder(ServicePortName.of("ns", "web", "", Protocol.TCP))
                .frontends(List.of(fe("198.19.0.10", 80, Protocol.TCP, FrontendType.CLUSTER_IP)))
                .backends(BackendSet.of(Backend.parse("198.18.129.2:8080")))
                .build();
        assertThat(SctpForwarding.of(tcp, CONFIG).chains()).isEmpty();
    }

    @Test
    void externalTrafficPolicyLocalShortCircuitsPodsAndTheNodeAndOtherwiseUsesLocalEndpoints() {
        ServicePortEntry e = assoc(true, POD_A, POD_B);
        String p = SctpForwarding.chainPrefix(e, false);
        SctpForwarding.Rules r = SctpForwarding.of(e, CONFIG);
        String epA = p + "ep-" + SctpForwarding.hash("198.18.129.2:9998");
        assertThat(r.chains().get(p + "external"))
                .containsExactly(
                        "ip saddr { 198.18.128.0/17 } goto " + p + "cluster",
                        "fib saddr type local jump mark-for-masquerade",
                        "fib saddr type local goto " + p + "cluster",
                        "goto " + p + "local");
        assertThat(r.chains().get(p + "local")).containsExactly("numgen random mod 1 vmap { 0 : goto " + epA + " }");

        // Only a remote endpoint: outside traffic falls through (the filter chain drops it), pods still get it.
        ServicePortEntry remoteOnly = assoc(true, POD_B);
        SctpForwarding.Rules remote = SctpForwarding.of(remoteOnly, CONFIG);
        assertThat(remote.chains().get(p + "external"))
                .noneMatch(rule -> rule.contains("local\"") || rule.endsWith("local"));
        assertThat(remote.chains()).doesNotContainKey(p + "local");
        assertThat(NftElements.of(remoteOnly, CONFIG.nodePortAddresses()).get(NftSet.DROP_EXTERNAL_NODEPORTS))
                .containsExactly("sctp . 30300");
    }

    @Test
    void ipv6EndpointsGetTheirOwnChainsAndMaps() {
        Backend v6 = Backend.of(Addresses.parseIp("2001:2:0:129::2"), 9998);
        ServicePortEntry e = ServicePortEntry.builder(ASSOC)
                .frontends(List.of(
                        fe("2001:2:0:f::60", 9999, Protocol.SCTP, FrontendType.CLUSTER_IP),
                        new ServiceFrontend(Frontend.nodePort(30300, Protocol.SCTP), FrontendType.NODE_PORT)))
                .endpoints(BackendSet.of(v6))
                .categorized(true, BackendSet.of(v6), null, true)
                .build();
        String p = SctpForwarding.chainPrefix(e, true);
        SctpForwarding.Rules r = SctpForwarding.of(e, CONFIG);
        String ep = p + "ep-" + SctpForwarding.hash(v6.key());
        assertThat(r.chains().get(ep)).contains("meta l4proto sctp dnat ip6 to [2001:2:0:129::2]:9998");
        assertThat(r.elements().get(NftSet.SCTP_SERVICE_IPS_V6))
                .containsExactly("2001:2:0:f::60 . sctp . 9999 : goto " + p + "cluster");
        assertThat(r.elements().get(NftSet.SCTP_NODEPORTS_V6)).containsExactly("sctp . 30300 : goto " + p + "external");
        assertThat(r.elements()).doesNotContainKeys(NftSet.SCTP_SERVICE_IPS_V4, NftSet.SCTP_NODEPORTS_V4);
    }

    @Test
    void clientIpAffinityKeepsATimedSetOfClientsPerEndpoint() {
        ServicePortEntry sticky = assoc(false, POD_A, POD_B).toBuilder()
                .affinityTimeoutSeconds(600)
                .build();
        String p = SctpForwarding.chainPrefix(sticky, false);
        String epA = p + "ep-" + SctpForwarding.hash("198.18.129.2:9998");
        String setA = p + "affinity-" + SctpForwarding.hash("198.18.129.2:9998") + "-600";
        SctpForwarding.Rules r = SctpForwarding.of(sticky, CONFIG);
        assertThat(r.sets()).hasSize(2).containsEntry(setA, "type ipv4_addr; flags dynamic,timeout; timeout 600s;");
        assertThat(r.chains().get(epA))
                .containsExactly(
                        "ip saddr 198.18.129.2 jump mark-for-masquerade",
                        "update @" + setA + " { ip saddr }",
                        "meta l4proto sctp dnat ip to 198.18.129.2:9998");
        // A client an endpoint served goes back to it before the random pick.
        assertThat(r.chains().get(p + "cluster"))
                .contains("ip saddr @" + setA + " goto " + epA)
                .last()
                .asString()
                .startsWith("numgen random mod 2");
        assertThat(SctpForwarding.of(assoc(false, POD_A), CONFIG).sets()).isEmpty();
    }

    @Test
    void anEndpointChangeRewritesThatServicePortsChainsInOneTransaction() throws Exception {
        List<String> scripts = new ArrayList<>();
        Interception i = new Interception(
                (c, in) -> {
                    scripts.add(in);
                    return new CommandRunner.Result(0, "", "");
                },
                CONFIG);
        ServiceTable table = new ServiceTable();
        table.addListener(i);
        table.apply(List.of(assoc(false, POD_A, POD_B)), List.of());
        i.syncAll(table);
        String p = SctpForwarding.chainPrefix(assoc(false, POD_A), false);
        String epB = p + "ep-" + SctpForwarding.hash("198.18.130.2:9998");
        assertThat(scripts.get(0)).contains("chain " + epB + " {", "map sctp-service-ips-v4 {");

        table.apply(List.of(assoc(false, POD_A)), List.of());
        String delta = scripts.get(1);
        assertThat(delta)
                .startsWith("add chain inet vipd ")
                .contains("flush chain inet vipd " + p + "cluster\n")
                .contains("numgen random mod 1 vmap")
                .endsWith("flush chain inet vipd " + epB + "\ndelete chain inet vipd " + epB + "\n")
                .doesNotContain("element");

        table.apply(List.of(), List.of(ASSOC));
        assertThat(scripts.get(2))
                .contains("delete element inet vipd sctp-service-ips-v4 { 198.19.0.60 . sctp . 9999, 198.19.1.60 . "
                        + "sctp . 9999 }")
                .contains("delete element inet vipd sctp-nodeports-v4 { sctp . 30300 }")
                .contains("delete chain inet vipd " + p + "cluster")
                .doesNotContain("add ");
        assertThat(i.allSctp().chains()).isEmpty();
    }

    /** ClusterIP 198.19.0.60:9999, LoadBalancer IP 198.19.1.60, NodePort 30300, endpoints on port 9998. */
    static ServicePortEntry assoc(boolean externalLocal, Backend... backends) {
        BackendSet all = BackendSet.of(backends);
        List<Backend> locals = new ArrayList<>();
        for (Backend b : backends) {
            if (b.local()) {
                locals.add(b);
            }
        }
        return ServicePortEntry.builder(ASSOC)
                .frontends(List.of(
                        fe("198.19.0.60", 9999, Protocol.SCTP, FrontendType.CLUSTER_IP),
                        fe("198.19.1.60", 9999, Protocol.SCTP, FrontendType.LOAD_BALANCER),
                        new ServiceFrontend(Frontend.nodePort(30300, Protocol.SCTP), FrontendType.NODE_PORT)))
                .externalPolicyLocal(externalLocal)
                .endpoints(all)
                .categorized(all, BackendSet.of(locals), backends.length > 0)
                .build();
    }

    static Backend local(String ip, boolean local) {
        return new Backend(
                Addresses.parseIp(ip),
                9998,
                1,
                local ? "node-a" : "node-b",
                "",
                BackendState.READY,
                local,
                Set.of(),
                Set.of());
    }

    static ServiceFrontend fe(String ip, int port, Protocol p, FrontendType type) {
        return new ServiceFrontend(new Frontend(Addresses.parseIp(ip), port, p), type);
    }
}
