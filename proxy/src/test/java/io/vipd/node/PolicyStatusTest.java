package io.vipd.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.admin.ServicesTableFormat;
import io.vipd.lb.Addresses;
import io.vipd.netpol.EgressRule;
import io.vipd.netpol.LabelSelector;
import io.vipd.netpol.NodeEgressFilter;
import io.vipd.netpol.Peer;
import io.vipd.netpol.PodInfo;
import io.vipd.netpol.Policy;
import io.vipd.netpol.PolicySnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What /services and vipd services say about NetworkPolicy. */
class PolicyStatusTest {
    private static Map<String, Object> model() {
        Map<String, Object> a =
                new LinkedHashMap<>(Map.of("address", "198.18.2.1:8080", "weight", 1, "state", "ready"));
        Map<String, Object> b =
                new LinkedHashMap<>(Map.of("address", "198.18.2.2:8080", "weight", 1, "state", "ready"));
        Map<String, Object> svc = new LinkedHashMap<>();
        svc.put("name", "e2e/tiers:p");
        svc.put("protocol", "TCP");
        svc.put("frontends", List.of());
        svc.put("backends", new ArrayList<>(List.of(a, b)));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("services", new ArrayList<>(List.of(svc)));
        return model;
    }

    @Test
    void marksTheBackendsAPolicyExcludesForLocalPods() {
        PodInfo client = new PodInfo(
                "clients",
                "client",
                Map.of("app", "client"),
                List.of(Addresses.parseIp("198.18.1.1")),
                "n1",
                false,
                List.of());
        PodInfo a = new PodInfo(
                "e2e", "a", Map.of("tier", "a"), List.of(Addresses.parseIp("198.18.2.1")), "n2", false, List.of());
        Policy onlyA = new Policy(
                "clients",
                "only-a",
                LabelSelector.of(Map.of("app", "client")),
                true,
                List.of(new EgressRule(
                        List.of(Peer.podsInNamespaces(LabelSelector.of(Map.of("tier", "a")), LabelSelector.ALL)),
                        List.of())));
        NodeEgressFilter filter =
                NodeEgressFilter.build("n1", PolicySnapshot.of(List.of(onlyA), List.of(client, a), List.of()));
        Map<String, Object> model = model();

        PolicyStatus.annotate(model, filter);

        assertThat(model.get("networkPolicy"))
                .isEqualTo(Map.of("synced", true, "restrictedClients", List.of("clients/client")));
        String table = ServicesTableFormat.format(model);
        assertThat(table)
                .contains("198.18.2.2:8080  1       ready (policy excludes clients/client)")
                .contains("NetworkPolicy: 1 local pods restricted by egress policy");
        assertThat(table.lines()
                        .filter(l -> l.contains("198.18.2.1:8080"))
                        .findFirst()
                        .orElseThrow())
                .doesNotContain("policy");
    }

    @Test
    void saysWhenPoliciesAreNotSyncedYet() {
        Map<String, Object> model = model();
        PolicyStatus.annotate(model, null);
        assertThat(ServicesTableFormat.format(model))
                .contains("NetworkPolicy: not synced yet (no client restricted), 0 local pods restricted");
    }
}
